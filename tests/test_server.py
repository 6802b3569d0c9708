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
from digits.recognisers import MODELS_DIR, load_recogniser
from digits.server import ServeConfig, create_app, plain_message
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


def test_predict_answers_as_the_cli_does_with_the_bare_file_name_and_a_message(server, capsys):
    sample = SAMPLES / "seven-canvas.png"
    response = post(server, sample.read_bytes(), name=str(sample))
    assert response.status_code == 200
    main(["predict", "--json", str(sample)])
    cli = json.loads(capsys.readouterr().out)
    body = response.json()
    # The client's folders are not echoed back: path is the upload's file name only.
    assert body.pop("path") == "seven-canvas.png" and cli.pop("path") == str(sample)
    assert body.pop("message").endswith("sure.")
    assert body == cli


@pytest.mark.parametrize("name, media_type", [("seven-canvas.png", "image/png"), ("three-on-paper.jpg", "image/jpeg")])
def test_a_raw_image_body_is_read_as_a_multipart_one_is(server, name, media_type):
    data = (SAMPLES / name).read_bytes()
    raw = httpx.post(f"{server.url}/api/predict?preview=1", content=data, headers={"content-type": media_type}, timeout=10)
    assert raw.status_code == 200
    body = raw.json()
    assert body["path"] is None and body["preview"].startswith("data:image/png;base64,")
    multipart = post(server, data, name=name, query="?preview=1").json()
    assert {**body, "path": name} == multipart


def test_a_body_that_is_neither_an_image_nor_multipart_is_415(server):
    response = httpx.post(f"{server.url}/api/predict", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 415 and "image/png" in response.json()["error"]


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
    assert body["message"].endswith("sure of its least clear digit.") or body["message"].startswith("Maybe")


def test_number_with_preview_shows_each_digit_the_model_saw(server, mnist):
    import base64

    from test_number import paper_number

    _, (x_test, _) = mnist
    body = post(server, png(paper_number([x_test[0], x_test[1], x_test[2]])), query="?number=1&preview=1").json()
    assert len(body["digits"]) == 3
    preview = Image.open(io.BytesIO(base64.b64decode(body["preview"].split(",", 1)[1])))
    assert preview.size == (3 * 28 + 2 * 2, 28)


def test_blank_canvas_is_no_digit(server):
    body = post(server, (SAMPLES / "blank-canvas.png").read_bytes(), query="?preview=1").json()
    assert body["digit"] is None and "no ink" in body["reason"] and "preview" not in body
    assert body["message"] == "I can't see a digit here: the image is blank."


@pytest.mark.parametrize("result, message", [
    ({"digit": 7, "confidence": 0.999, "low_confidence": False}, "99.9% sure."),
    ({"digit": 2, "confidence": 0.527, "low_confidence": True}, "Only 52.7% sure: try writing it larger or clearer."),
    ({"digit": None, "not_a_digit": 0.87, "reason": "this does not look like a digit (87% sure)"},
     "Not a digit: this looks like something else (87% sure)."),
    ({"digit": None, "reason": "no ink: the image is nearly uniform (contrast 0.00 < 0.15)"},
     "I can't see a digit here: the image is blank."),
    ({"digit": None, "reason": "no ink: nothing stands out from the image's noise (noise level 0.37); if a digit "
                               "is there, use a sharper, less grainy image"},
     "I can't see a digit here: the image is all noise; try a sharper photo."),
    ({"digit": None, "reason": "no ink: only 3 ink pixels, fewer than a digit needs (4)"},
     "I can't see a digit here: there is too little ink."),
    ({"digit": None, "reason": "no ink: only small marks stand out (under a thousandth of the image); crop closer "
                               "to the digit"},
     "I can't see a digit here: what is written is too small; crop closer to it."),
    ({"number": "42", "confidence": 0.95, "low_confidence": False, "digits": [{}, {}]},
     "95% sure of its least clear digit."),
    ({"number": None, "reason": "part 2 of 3 does not look like a digit", "digits": [{}, {}, {}]},
     "Part 2 of 3 does not look like a digit: rewrite it or rub it out."),
    ({"number": None, "reason": "parts 1 and 3 of 3 do not look like digits", "digits": [{}, {}, {}]},
     "Parts 1 and 3 of 3 do not look like digits: rewrite them or rub them out."),
    ({"number": None, "reason": "no ink: nothing digit-like was found", "digits": []}, "I can't see any digits here."),
])
def test_plain_messages_replace_the_technical_reasons(result, message):
    assert plain_message(result) == message


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


def test_openapi_types_every_answer_and_error(server):
    spec = httpx.get(server.url + "/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # 422 has the one error shape too
    assert {"PredictionAnswer", "NumberAnswer", "FileError", "ErrorResponse", "Health"} <= set(schemas)
    assert {"digit", "probabilities", "message", "reason", "not_a_digit", "preview"} <= set(schemas["PredictionAnswer"]["properties"])
    for path in ("/api/predict", "/api/batch"):
        operation = spec["paths"][path]["post"]
        answers = json.dumps(operation["responses"]["200"])
        assert "PredictionAnswer" in answers and "NumberAnswer" in answers
        for status in ("400", "413", "415", "422"):
            assert operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    body = spec["paths"]["/api/predict"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "image/png", "image/jpeg"} <= set(body)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_another_host(server, path):
    import re

    page = httpx.get(server.url + path)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page.text)
    assert not [url for url in assets if "//" in url], "the docs must work offline"
    for url in assets:
        assert httpx.get(server.url + url).status_code == 200, url


def test_batch_answers_each_file_in_order_and_isolates_bad_ones(server):
    files = [("images", ("seven.png", (SAMPLES / "seven-canvas.png").read_bytes(), "image/png")),
             ("images", ("notes.txt", b"hello, not an image", "text/plain")),
             ("images", ("blank.png", (SAMPLES / "blank-canvas.png").read_bytes(), "image/png")),
             ("images", ("truncated.png", png(Image.new("L", (50, 50), 255))[:70], "image/png"))]
    response = httpx.post(f"{server.url}/api/batch", files=files, timeout=10)
    assert response.status_code == 200
    seven, notes, blank, truncated = response.json()
    assert seven["path"] == "seven.png" and seven["digit"] == 7
    assert notes == {"path": "notes.txt", "error": notes["error"], "status": 415} and "not an image" in notes["error"]
    assert blank["digit"] is None and blank["message"].startswith("I can't see a digit")
    assert truncated["status"] == 400


def test_batch_refuses_more_files_than_allowed():
    app = create_app(ServeConfig(max_batch_files=2))
    files = [("images", (f"{index}.png", (SAMPLES / "five-28x28.png").read_bytes())) for index in range(3)]
    with TestClient(app, base_url="http://localhost") as client:
        response = client.post("/api/batch", files=files)
        assert response.status_code == 413 and "more than 2 files" in response.json()["error"]
        assert len(client.post("/api/batch", files=files[:2]).json()) == 2
        assert client.post("/api/batch", files={"picture": ("x.png", b"x")}).status_code == 422


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
