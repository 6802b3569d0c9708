import io
import json

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from conftest import SAMPLES
from digits.card import read_card
from digits.cli import main
from digits.predict import MODELS_DIR, load_recogniser
from digits.server import ServeConfig, create_app
from server_process import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess("--max-bytes", "200000", "--max-pixels", "4000000",
                            log_path=tmp_path_factory.mktemp("serve") / "serve.log")
    yield process
    process.stop()


def post(server, data: bytes, name="image.png", field="image", query=""):
    return httpx.post(f"{server.url}/api/predict{query}", files={field: (name, data, "application/octet-stream")},
                      timeout=10)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_health_summarises_the_model_card(server):
    body = httpx.get(server.url + "/api/health").json()
    assert body["status"] == "ok"
    assert body["model"]["path"] == "default.onnx" and body["model"]["test_accuracy"] > 0.99


def test_a_shipped_model_is_served_by_name():
    with TestClient(create_app(ServeConfig(model="accurate")), base_url="http://localhost") as client:
        model = client.get("/api/health").json()["model"]
        card = read_card(MODELS_DIR / "accurate.keras")
        assert model["path"] == "accurate.onnx" and model["arch"] == "+".join(sorted({member["arch"] for member in card["members"]}))
        response = client.post("/api/predict", files={"image": ("seven.png", (SAMPLES / "seven-canvas.png").read_bytes())})
        assert response.json()["digit"] == 7


def test_predict_answers_as_the_cli_does(server, capsys):
    sample = SAMPLES / "seven-canvas.png"
    response = post(server, sample.read_bytes(), name=str(sample))
    assert response.status_code == 200
    main(["predict", "--json", str(sample)])
    assert response.json() == json.loads(capsys.readouterr().out)


def test_preview_is_the_28x28_model_input(server):
    body = post(server, (SAMPLES / "three-on-paper.jpg").read_bytes(), query="?preview=1").json()
    assert body["digit"] == 3 and body["preview"].startswith("data:image/png;base64,")
    import base64

    preview = Image.open(io.BytesIO(base64.b64decode(body["preview"].split(",", 1)[1])))
    assert preview.size == (28, 28)


def test_number_query_reads_a_whole_number(server, mnist):
    from test_number import paper_number

    _, (x_test, y_test) = mnist
    body = post(server, png(paper_number([x_test[0], x_test[1], x_test[2], x_test[3]])), query="?number=1").json()
    assert body["number"] == "".join(str(label) for label in y_test[:4]) and len(body["digits"]) == 4


def test_blank_canvas_is_no_digit(server):
    body = post(server, (SAMPLES / "blank-canvas.png").read_bytes(), query="?preview=1").json()
    assert body["digit"] is None and "no ink" in body["reason"] and "preview" not in body


@pytest.mark.parametrize("case, status, words", [
    ("truncated", 400, "cannot decode"),
    ("text", 415, "not an image"),
    ("bytes", 413, "over the limit"),
    ("pixels", 413, "pixels"),
    ("field", 422, "'image'"),
])
def test_errors_are_json_with_the_right_status(server, case, status, words):
    if case == "truncated":
        response = post(server, png(Image.new("L", (50, 50), 255))[:70])
    elif case == "text":
        response = post(server, b"hello, not an image", name="notes.txt")
    elif case == "bytes":
        response = post(server, bytes(200_001))
    elif case == "pixels":
        response = post(server, png(Image.new("1", (2500, 2000), 1)))
    else:
        response = post(server, (SAMPLES / "five-28x28.png").read_bytes(), field="picture")
    assert response.status_code == status
    assert words in response.json()["error"]


def test_openapi_and_docs_and_page(server):
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "/api/predict" in spec["paths"] and "/api/health" in spec["paths"]
    assert httpx.get(server.url + "/docs").status_code == 200
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and '<canvas id="pad"' in page.text
    assert httpx.get(server.url + "/static/app.js").status_code == 200


def test_one_log_line_per_request(server):
    before = server.log_path.read_text().count("POST /api/predict")
    for _ in range(3):
        post(server, (SAMPLES / "five-28x28.png").read_bytes())
    assert server.log_path.read_text().count("POST /api/predict") == before + 3


def test_in_process_client_with_another_model(tiny_onnx_model):
    client = TestClient(create_app(ServeConfig(), recogniser=load_recogniser(tiny_onnx_model)), base_url="http://localhost")
    body = client.post("/api/predict", files={"image": ("five.png", (SAMPLES / "five-28x28.png").read_bytes())}).json()
    assert len(body["probabilities"]) == 10 and body["path"] == "five.png"
    assert client.get("/api/health").json()["model"]["path"] == "tiny.onnx"
    np.testing.assert_allclose(sum(body["probabilities"]), 1.0, atol=1e-4)
