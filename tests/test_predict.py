import json

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLES, draw_digit
from digits.predict import recognise
from digits.recognisers import DEFAULT_MODEL, as_probabilities, load_recogniser

SAMPLE_DIGITS = {"five-28x28.png": 5, "three-on-paper.jpg": 3, "seven-canvas.png": 7}


@pytest.fixture(scope="module")
def default_recogniser():
    return load_recogniser()


def test_shipped_model_reads_the_bundled_samples(default_recogniser):
    paths = sorted(SAMPLES.iterdir())
    predictions = {path.name: prediction for path, prediction in zip(paths, recognise(paths, default_recogniser))}
    for name, digit in SAMPLE_DIGITS.items():
        assert predictions[name].digit == digit, predictions[name]
        assert not predictions[name].low_confidence  # read without the low-confidence flag
        assert predictions[name].confidence > 0.8
    blank = predictions["blank-canvas.png"]
    assert blank.digit is None and "no ink" in blank.reason


def test_one_bad_file_does_not_stop_the_others(default_recogniser, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    inputs = [SAMPLES / "five-28x28.png", broken, tmp_path / "missing.png", SAMPLES / "seven-canvas.png"]
    predictions = recognise(inputs, default_recogniser)
    assert [prediction.digit for prediction in predictions] == [5, None, None, 7]
    assert predictions[1].to_dict().keys() == {"path", "error"}
    assert "no such file" in predictions[2].error


def test_json_fields(default_recogniser):
    prediction = recognise([SAMPLES / "five-28x28.png"], default_recogniser)[0].to_dict()
    assert json.loads(json.dumps(prediction)) == prediction
    # "not_a_digit" comes with models that have that output, as the shipped ones do.
    assert set(prediction) == {"path", "digit", "confidence", "probabilities", "low_confidence", "not_a_digit",
                               "reason"}
    assert 0 <= prediction["not_a_digit"] < 0.5
    assert prediction["low_confidence"] is False
    # The ten digits' probabilities and "not a digit" share the whole.
    total = sum(prediction["probabilities"]) + prediction["not_a_digit"]
    assert len(prediction["probabilities"]) == 10 and total == pytest.approx(1, abs=1e-4)
    assert prediction["confidence"] == max(prediction["probabilities"])


def test_a_declined_answer_names_the_digits_it_was_most_like_when_asked_for_more_than_one():
    from digits.predict import Prediction

    probabilities = [0.0] * 10
    probabilities[9], probabilities[4] = 0.36, 0.02
    declined = Prediction("x.png", reason="this does not look like a digit (61% sure)", probabilities=probabilities,
                          not_a_digit=0.61)
    assert declined.describe() == "x.png: no digit: this does not look like a digit (61% sure)"
    assert declined.describe(top=2) == ("x.png: no digit: this does not look like a digit (61% sure); "
                                        "most like 9 (36.0%), 4 (2.0%)")
    assert Prediction("blank.png", reason="no ink").describe(top=3) == "blank.png: no digit: no ink"


def test_a_low_confidence_answer_says_how_likely_not_a_digit_is():
    # A printed Q: "not a digit" was its likeliest answer (57 %) but under the threshold, and
    # the text showed only "0 (23.9%) [low confidence]".
    from digits.predict import Prediction

    probabilities = [0.0] * 10
    probabilities[0], probabilities[6] = 0.239, 0.1
    unsure = Prediction("q.png", digit=0, confidence=0.239, probabilities=probabilities, not_a_digit=0.567)
    assert unsure.describe() == "q.png: 0 (23.9%) [low confidence; 57% not a digit]"
    unsure.not_a_digit = 0.02
    assert unsure.describe() == "q.png: 0 (23.9%) [low confidence]"


def test_every_answer_has_the_same_keys_declined_or_read(default_recogniser):
    blank, five = (prediction.to_dict() for prediction in recognise(
        [SAMPLES / "blank-canvas.png", SAMPLES / "five-28x28.png"], default_recogniser))
    assert blank.keys() == five.keys()
    assert blank["digit"] is None and blank["low_confidence"] is False and blank["not_a_digit"] is None
    assert "no ink" in blank["reason"] and five["reason"] is None


def test_arrays_and_pillow_images_are_recognised(default_recogniser, mnist):
    _, (x_test, y_test) = mnist
    inputs = [x_test[0], Image.fromarray(255 - x_test[1])]
    assert [prediction.digit for prediction in recognise(inputs, default_recogniser)] == y_test[:2].tolist()


def test_tutorial_saved_h5_model_loads_and_predicts(tmp_path):
    """A model saved by the tutorial's own code, `model.save("test_model.h5")`, under Keras 3."""
    from test_model import tutorial_as_written

    model = tutorial_as_written()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    path = tmp_path / "test_model.h5"
    model.save(path)
    recogniser = load_recogniser(path)
    prediction = recognise([SAMPLES / "five-28x28.png"], recogniser)[0]
    assert prediction.digit in range(10) and len(prediction.probabilities) == 10
    expected = model.predict(np.zeros((1, 28, 28, 1), dtype=np.float32), verbose=0)
    np.testing.assert_allclose(recogniser.probabilities(np.zeros((1, 28, 28))), expected, atol=1e-6)


def test_onnx_and_keras_give_the_same_answers(tiny_keras_model, tiny_onnx_model):
    images = np.random.default_rng(3).random((50, 28, 28), dtype=np.float32)
    keras_probabilities = load_recogniser(tiny_keras_model).probabilities(images)
    onnx_probabilities = load_recogniser(tiny_onnx_model).probabilities(images)
    np.testing.assert_allclose(keras_probabilities, onnx_probabilities, atol=1e-5)


def test_model_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="digits train"):
        load_recogniser(tmp_path / "none.onnx")
    (tmp_path / "model.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="expected .onnx, .keras or .h5"):
        load_recogniser(tmp_path / "model.pt")
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="cannot load it with Keras"):
        load_recogniser(tmp_path / "bad.keras")


def test_logits_become_probabilities():
    probabilities = as_probabilities(np.array([[2.0] + [0.0] * 9]))
    assert probabilities.sum() == pytest.approx(1.0) and probabilities.argmax() == 0
    already = np.full((1, 10), 0.1)
    np.testing.assert_array_equal(as_probabilities(already), already)


def test_default_model_ships_with_its_card():
    assert DEFAULT_MODEL.exists() and DEFAULT_MODEL.with_suffix(".keras").exists()
    card = load_recogniser().card
    assert card["test"]["accuracy"] > 0.99 and card["config"]["preset"]


def test_shipped_models_load_by_name_and_their_cards_say_how_they_were_chosen():
    from digits.recognisers import MODELS_DIR, SHIPPED_MODELS

    for name in SHIPPED_MODELS:
        recogniser = load_recogniser(name)
        assert recogniser.path == MODELS_DIR / f"{name}.onnx"
        assert "validation split" in recogniser.card["selection"] and recogniser.card["multiply_adds"] > 0
    default, accurate = load_recogniser().card, load_recogniser("accurate").card
    assert default["multiply_adds"] <= accurate["multiply_adds"]
    assert default["validation"]["accuracy"] <= accurate["validation"]["accuracy"]


def test_onnx_path_never_imports_tensorflow_or_keras():
    import subprocess
    import sys

    code = ("import sys; from digits.cli import main; main(['predict', sys.argv[1]]); "
            "print(sorted(name for name in ('tensorflow', 'keras') if name in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "five-28x28.png")],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "[]"


def test_shipped_onnx_and_keras_agree_digit_for_digit_on_the_test_set(mnist):
    """A float32 ONNX model gives Keras's digit on every test image; an int8 one may differ
    only on the few images where Keras itself finds two digits nearly tied."""
    from digits.preprocess import scale_mnist

    _, (x_test, _) = mnist
    images = scale_mnist(x_test)
    onnx = load_recogniser(DEFAULT_MODEL)
    onnx_digits = onnx.probabilities(images).argmax(axis=1)
    keras_probabilities = load_recogniser(DEFAULT_MODEL.with_suffix(".keras")).probabilities(images)
    different = np.flatnonzero(onnx_digits != keras_probabilities.argmax(axis=1))
    if onnx.card.get("precision", "float32") == "float32":
        assert different.size == 0
        return
    assert different.size <= 5
    top_two = np.sort(keras_probabilities[different], axis=1)[:, -2:]
    assert (top_two[:, 1] - top_two[:, 0] < 0.2).all(), top_two


def biased_model(path, favourite: int):
    """A Keras model with an eleventh output ("not a digit") that always favours class ``favourite``."""
    import keras

    bias = np.zeros(11, dtype=np.float32)
    bias[favourite] = 5.0
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(11, activation="softmax", kernel_initializer="zeros",
                                                 bias_initializer=keras.initializers.Constant(bias))])
    model.save(path)
    return path


def test_a_model_with_a_not_a_digit_output_declines_with_a_reason(tmp_path):
    from digits.predict import NOT_A_DIGIT_REASON

    recogniser = load_recogniser(biased_model(tmp_path / "declines.keras", 10))
    prediction = recognise([draw_digit(7)], recogniser)[0]
    assert prediction.digit is None and prediction.reason.startswith(NOT_A_DIGIT_REASON)
    row = prediction.to_dict()
    assert row["digit"] is None and len(row["probabilities"]) == 10 and row["not_a_digit"] > 0.9
    # Its scores keep the eleventh column; MNIST's digit probabilities are the ten alone, summing to 1.
    assert recogniser.scores(np.zeros((2, 28, 28))).shape == (2, 11)
    np.testing.assert_allclose(recogniser.probabilities(np.zeros((2, 28, 28))).sum(axis=1), 1.0)


def test_a_model_with_a_not_a_digit_output_still_reads_digits(tmp_path):
    recogniser = load_recogniser(biased_model(tmp_path / "threes.keras", 3))
    prediction = recognise([draw_digit(7)], recogniser)[0]
    assert prediction.digit == 3 and prediction.reason is None
    assert 0 < prediction.to_dict()["not_a_digit"] < 0.1
