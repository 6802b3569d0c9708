"""`digits tune`'s library: it refuses too few corrections, learns a writer's way of writing a digit on a
tiny setting (a few hundred MNIST images, a few epochs), records it in the card, and writes nothing when
MNIST would suffer."""

import dataclasses
import json

import numpy as np
import pytest

from conftest import SAMPLES
from digits.corrections import make_correction
from digits.recognisers import load_recogniser
from digits.tuning import MIN_CORRECTIONS, TuneConfig, TuneError, check_enough, tune


@pytest.fixture(scope="module")
def small_mnist(mnist):
    """600 training images (540 to mix in, 60 for validation) and 300 test images of real MNIST."""
    (x_train, y_train), (x_test, y_test) = mnist
    return (x_train[:600], y_train[:600]), (x_test[:300], y_test[:300])


def variants(correction, count):
    """``count`` copies of a correction, each shifted by up to a pixel: one writer's hand, written again."""
    shifts = [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1), (1, -1)]
    return [dataclasses.replace(correction, model_input=np.roll(correction.model_input, shifts[index % 8], (0, 1)))
            for index in range(count)]


# MNIST test digits the shipped model misreads, unsure (a 3 read as 5, an 8 as 2, a 5 as 3, a 2 as 5): a writer
# whose digits look like these. None is among the 300 test images that score the tuned model.
MISREAD = {449: 3, 582: 8, 1737: 5, 2098: 2}


@pytest.fixture(scope="module")
def corrections(mnist):
    """Three corrections of each misread digit, each shifted by a pixel or not."""
    from PIL import Image

    import io

    _, (x_test, y_test) = mnist
    recogniser = load_recogniser()
    found = []
    for index, label in MISREAD.items():
        assert y_test[index] == label
        buffer = io.BytesIO()
        Image.fromarray(x_test[index]).save(buffer, format="PNG")
        found += variants(make_correction(buffer.getvalue(), label, recogniser, "cli", "ann"), 3)
    return found


def test_too_few_corrections_are_refused_with_how_many_more():
    with pytest.raises(TuneError, match=f"has 0 correction\\(s\\); tuning needs at least {MIN_CORRECTIONS}"):
        check_enough([], "ann", folds=3)


def test_one_label_only_is_refused(corrections):
    with pytest.raises(TuneError, match="all 10 corrections say 3; correct other digits too"):
        check_enough(variants(corrections[0], 10), "ann", folds=3)


def test_tune_learns_the_writer_and_records_it(corrections, small_mnist, tmp_path):
    config = TuneConfig(writer="ann", out=str(tmp_path / "ann.onnx"), epochs=(1, 3), learning_rates=(3e-4, 1e-3),
                        folds=2, mnist_images=64, correction_share=0.6, batch_size=16, max_mnist_drop=0.02)
    lines = []
    card = tune(config, corrections, data=small_mnist, progress=lines.append)
    assert (tmp_path / "ann.onnx").exists() and (tmp_path / "ann.keras").exists()
    assert json.loads((tmp_path / "ann.card.json").read_text()) == card
    assert card["personal"] and card["writer"] == "ann"
    assert card["corrections"]["count"] == 12 and card["corrections"]["per_label"] == {"2": 3, "3": 3, "5": 3, "8": 3}
    # The shipped model misreads this writer (5 to 9 of the 12 shifted copies, by model); the
    # personal model reads every one as they mean it.
    assert card["corrections"]["right_before"] <= 7 and card["corrections"]["right_after"] == 12
    tuned = load_recogniser(tmp_path / "ann.onnx")
    images = np.stack([correction.model_input for correction in corrections])
    assert tuned.scores(images).argmax(axis=1).tolist() == [correction.label for correction in corrections]
    assert sorted((row["epochs"], row["learning_rate"]) for row in card["settings_tried"]) == [
        (1, 3e-4), (1, 1e-3), (3, 3e-4), (3, 1e-3)] and len(lines) >= 5
    assert card["chosen"] in [{"epochs": row["epochs"], "learning_rate": row["learning_rate"]}
                              for row in card["settings_tried"]]
    assert card["test"]["samples"] == 300 and card["base"]["mnist_test_accuracy"] - card["test"]["accuracy"] <= 0.05
    assert card["validation"]["samples"] == 60


def test_nothing_is_written_when_mnist_would_suffer(corrections, small_mnist, tmp_path):
    # A learning rate a hundred times too high, and no fall in MNIST accuracy allowed.
    config = TuneConfig(writer="ann", out=str(tmp_path / "ann.onnx"), epochs=(2,), learning_rates=(0.1,),
                        folds=2, mnist_images=32, correction_share=0.75, max_mnist_drop=0.0)
    with pytest.raises(TuneError, match="lowers MNIST validation accuracy by more than 0 points.*nothing was written"):
        tune(config, corrections, data=small_mnist)
    assert list(tmp_path.iterdir()) == []
