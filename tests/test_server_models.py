"""Models that cannot answer: `digits serve` refuses to start on them with one line, and no
request is ever answered with NaN."""

import json
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper

from conftest import SAMPLES
from digits.cli import main
from digits.predict import recognise
from digits.recognisers import DEFAULT_MODEL, load_recogniser
from digits.server import ServeConfig, create_app
from server_process import DIGITS


def linear_model(path, outputs: int = 10, nan_on_ink: bool = False):
    """A tiny ONNX model: (N, 28, 28, 1) → flatten → matmul (784, ``outputs``) → softmax.

    ``nan_on_ink``: sqrt of the negated sum instead of softmax, finite (0) for a blank image and
    NaN for any ink, as a model broken in training would be.
    """
    nodes = [helper.make_node("Flatten", ["image"], ["flat"], axis=1),
             helper.make_node("MatMul", ["flat", "weights"], ["logits"])]
    if nan_on_ink:
        nodes += [helper.make_node("Neg", ["logits"], ["negated"]), helper.make_node("Sqrt", ["negated"], ["scores"])]
    else:
        nodes += [helper.make_node("Softmax", ["logits"], ["scores"], axis=1)]
    graph = helper.make_graph(
        nodes, "linear", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", outputs])],
        [numpy_helper.from_array(np.full((784, outputs), 0.01, dtype=np.float32), "weights")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


@pytest.fixture()
def broken_models(tmp_path):
    data = DEFAULT_MODEL.read_bytes()
    (tmp_path / "truncated.onnx").write_bytes(data[:len(data) // 2])
    (tmp_path / "garbage.onnx").write_bytes(b"not a model at all")
    linear_model(tmp_path / "seven.onnx", outputs=7)
    shutil.copy(DEFAULT_MODEL, tmp_path / "carded.onnx")
    (tmp_path / "carded.card.json").write_text('{"config": {"preset": "fa')
    return tmp_path


@pytest.mark.parametrize("name, words", [
    ("truncated.onnx", "ONNX Runtime cannot load it"),
    ("garbage.onnx", "ONNX Runtime cannot load it"),
    ("seven.onnx", "gives 7 outputs per image"),
    ("carded.onnx", "carded.card.json: not valid JSON"),
])
def test_serve_refuses_a_model_that_cannot_answer_with_one_line(broken_models, capsys, name, words):
    assert main(["serve", "--port", "0", "--model", str(broken_models / name)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("digits: error:") and words in error
    assert str(broken_models) in error  # names the file


def test_serve_process_exits_at_once_on_a_corrupt_model(broken_models):
    finished = subprocess.run([DIGITS, "serve", "--port", "0", "--model", str(broken_models / "truncated.onnx")],
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 1 and "Traceback" not in finished.stderr
    assert finished.stderr.strip().count("\n") == 0 and "truncated.onnx" in finished.stderr


def test_a_model_that_gives_nan_for_a_blank_image_is_refused(tmp_path):
    path = linear_model(tmp_path / "nan.onnx")
    weights = np.full((784, 10), np.nan, dtype=np.float32)
    model = onnx.load(path)
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(weights, "weights"))
    onnx.save(model, path)
    with pytest.raises(ValueError, match="non-finite"):
        load_recogniser(path)


def test_nan_outputs_are_an_error_row_never_nan_in_json(tmp_path):
    recogniser = load_recogniser(linear_model(tmp_path / "nan_on_ink.onnx", nan_on_ink=True))
    prediction = recognise([SAMPLES / "seven-canvas.png"], recogniser)[0]
    assert prediction.digit is None and "non-finite" in prediction.error
    json.dumps(prediction.to_dict(), allow_nan=False)

    client = TestClient(create_app(ServeConfig(), recogniser=recogniser), base_url="http://localhost")
    for query in ("", "?number=1"):
        response = client.post(f"/api/predict{query}",
                               files={"image": ("seven.png", (SAMPLES / "seven-canvas.png").read_bytes())})
        assert response.status_code == 500 and "non-finite" in response.json()["error"], query
