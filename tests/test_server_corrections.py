"""POST /api/corrections and GET /api/models: corrections from the API and the page are stored (SQLite and
PostgreSQL) and survive a restart; a personal model is served by name and chosen per request."""

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from conftest import SAMPLES
from digits.recognisers import DEFAULT_MODEL, load_recogniser
from digits.server import ServeConfig, create_app
from digits.stores import open_store

SEVEN = (SAMPLES / "seven-canvas.png").read_bytes()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "corrections.db")
    return request.getfixturevalue("postgres_url")


def client_for(store: str, **settings) -> TestClient:
    return TestClient(create_app(ServeConfig(store=store, **settings)), base_url="http://localhost")


def correct(client, label, writer=None, data=SEVEN, query="", **fields):
    form = {"label": label, **({"writer": writer} if writer else {}), **fields}
    return client.post("/api/corrections" + query, files={"image": ("seven.png", data, "image/png")}, data=form)


def test_a_correction_is_stored_and_survives_a_restart(store):
    response = correct(client_for(store), "1", writer="ann")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["label"] == 1 and answer["predicted"] == 7 and answer["source"] == "api"
    assert answer["writer"] == "ann" and answer["model"] == "default.onnx" and len(answer["model_sha256"]) == 64
    assert answer["message"] == "Saved: this is 1, not 7. Thank you."
    page = correct(client_for(store), "not-a-digit", source="page").json()
    assert page["label"] == 10 and page["not_a_digit"] and page["source"] == "page" and page["writer"] is None

    # A new server on the same store, and the store opened anew, see both.
    stored = open_store(store).corrections()
    assert [(item.id, item.label, item.source) for item in stored] == [(answer["id"], 1, "api"),
                                                                      (page["id"], 10, "page")]
    assert stored[0].image == SEVEN


@pytest.mark.parametrize("label, status, words", [
    (None, 422, "no field 'label'"),
    ("12", 422, "expected a digit 0-9, or 'not-a-digit'"),
])
def test_a_bad_label_is_one_error_line(tmp_path, label, status, words):
    client = client_for(str(tmp_path / "c.db"))
    response = client.post("/api/corrections", files={"image": ("seven.png", SEVEN, "image/png")},
                           data={} if label is None else {"label": label})
    assert response.status_code == status and list(response.json()) == ["error"] and words in response.json()["error"]
    assert not (tmp_path / "c.db").exists() or open_store(str(tmp_path / "c.db")).corrections() == []


def test_bad_images_and_bodies_are_answered_as_predict_answers_them(tmp_path):
    client = client_for(str(tmp_path / "c.db"))
    blank = correct(client, "3", data=(SAMPLES / "blank-canvas.png").read_bytes())
    assert blank.status_code == 422 and "no ink the model could learn from" in blank.json()["error"]
    assert correct(client, "3", data=b"not an image").status_code == 415
    raw = client.post("/api/corrections", content=SEVEN, headers={"Content-Type": "image/png"})
    assert raw.status_code == 415 and "multipart/form-data" in raw.json()["error"]
    assert client.post("/api/corrections", data={"label": "3"}).status_code in (415, 422)


def test_a_store_that_cannot_be_reached_is_503_and_the_server_goes_on(tmp_path):
    from postgres_server import free_port

    client = client_for(f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none")
    response = correct(client, "1")
    assert response.status_code == 503 and "cannot reach the server" in response.json()["error"]
    assert "secret" not in response.text
    assert client.post("/api/predict", files={"image": ("seven.png", SEVEN, "image/png")}).json()["digit"] == 7


def test_the_openapi_schema_types_the_correction():
    schema = TestClient(create_app(ServeConfig()), base_url="http://localhost").get("/openapi.json").json()
    operation = schema["paths"]["/api/corrections"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CorrectionAnswer")
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["image", "label"]
    assert "/api/models" in schema["paths"]


@pytest.fixture()
def personal_model(tmp_path, monkeypatch):
    """A personal model named 'me' in runs/ (the shipped default's file with a personal card)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    shutil.copy(DEFAULT_MODEL, tmp_path / "runs" / "me.onnx")
    card = {"personal": True, "writer": "me", "test": {"accuracy": 0.99}}
    (tmp_path / "runs" / "me.card.json").write_text(json.dumps(card))
    # A model in runs/ without a personal card is not offered to the page.
    shutil.copy(DEFAULT_MODEL, tmp_path / "runs" / "other.onnx")
    return tmp_path / "runs" / "me.onnx"


def test_a_personal_model_is_served_by_name(personal_model):
    assert load_recogniser("me").path.resolve() == personal_model.resolve()
    client = TestClient(create_app(ServeConfig(model="me")), base_url="http://localhost")
    assert client.get("/api/health").json()["model"]["path"] == "me.onnx"
    choices = {item["name"]: item for item in client.get("/api/models").json()}
    assert list(choices) == ["me", "default", "accurate"]
    assert choices["me"]["served"] and choices["me"]["personal"] and choices["me"]["writer"] == "me"
    assert not choices["default"]["personal"]


def test_the_page_may_switch_models_per_request(personal_model):
    client = TestClient(create_app(ServeConfig()), base_url="http://localhost")
    names = [item["name"] for item in client.get("/api/models").json()]
    assert names == ["default", "accurate", "me"]
    for name in ("me", "default", ""):
        response = client.post(f"/api/predict?model={name}", files={"image": ("seven.png", SEVEN, "image/png")})
        assert response.status_code == 200 and response.json()["digit"] == 7
    unknown = client.post("/api/predict?model=../../etc/passwd", files={"image": ("seven.png", SEVEN, "image/png")})
    assert unknown.status_code == 422 and "is not served here; choose one of default, accurate, me" in unknown.json()["error"]
    other = client.post("/api/predict?model=other", files={"image": ("seven.png", SEVEN, "image/png")})
    assert other.status_code == 422


def test_a_correction_records_the_model_that_answered(personal_model, tmp_path):
    client = TestClient(create_app(ServeConfig(store=str(tmp_path / "c.db"))), base_url="http://localhost")
    answer = correct(client, "1", query="?model=me").json()
    assert answer["model"] == "me.onnx"
