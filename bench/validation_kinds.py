"""Compare models on validation data only: the numbers a choice between recipes is made on.

For each model: MNIST validation accuracy (training images 54,000-59,999), accuracy on 300
of those digits made into photos, canvases, low-resolution images, tight crops and desk
scenes (desks and papers outside ``scenes.HELD_OUT_KINDS`` only), on UCI pen digits' 766
validation rows (``digits.pen_digits.validation_rows``: training writers' digits that no
run trains on; ``writers.render_pen`` draws them), on a third as many numbers of 2-5 of
those MNIST digits photographed on such desks (read entirely right), and the share of the
drawn validation set's non-digits (``digits.synthetic``, seed 1, never trained on) that it
declines at the shipped "not a digit" threshold, and the share of kinds no drawn set holds
(``untaught_non_digits``: kana and astrological signs) that it declines. Declined digits
count as wrong.

Run: .venv/bin/python bench/validation_kinds.py --model default runs/compact-robust-v3.keras
"""

import argparse

import numpy as np

import real_world
import scenes
import writers
from digits import pen_digits
from digits.data import load_mnist, split
from digits.predict import NOT_A_DIGIT_THRESHOLD, predictions_for, prepare, recognise_numbers
from digits.recognisers import load_recogniser
from digits.synthetic import NOT_A_DIGIT, training_set
from digits.training import SYNTHETIC_SEED

SEED = 31
# Non-digit kinds the drawn set never draws: the kana of Hershey's japanese font and the
# signs of its astrology font (its punctuation keys; its letters and digits are Latin ones).
UNTAUGHT_GLYPHS = {"japanese": "".join(chr(code) for code in range(33, 127) if not chr(code).isdigit()),
                   "astrology": "!\"#$%&'*+,-./:;<=>?@[\\]^_`{|}~"}


def desk_number(digits: list[np.ndarray], random: np.random.Generator):
    tuned_desks = [name for name in scenes.DESKS if name not in scenes.HELD_OUT_KINDS]
    tuned_papers = [name for name in scenes.PAPERS if name not in scenes.HELD_OUT_KINDS]
    return scenes.desk_photo(digits, random, str(random.choice(tuned_desks)), str(random.choice(tuned_papers)))


def desk(digit: np.ndarray, random: np.random.Generator):
    return desk_number([digit], random)


GENERATORS = {"photo": real_world.photo, "canvas": real_world.canvas, "low resolution": real_world.low_resolution,
              "tight crop": scenes.tight_crop, "desk": desk}


def untaught_non_digits(count: int, random: np.random.Generator) -> np.ndarray:
    """``count`` model inputs (N, 28, 28) of glyphs from ``UNTAUGHT_GLYPHS``, drawn as the drawn set draws."""
    from digits.preprocess import to_model_input
    from digits.synthetic import glyph_from, render

    images = []
    while len(images) < count:
        strokes = [stroke for stroke in glyph_from(UNTAUGHT_GLYPHS, random) if len(stroke) >= 2]
        if strokes:
            try:
                images.append(to_model_input(render(strokes, random)))
            except ValueError:
                continue
    return np.array(images)


def answers(recogniser, inputs: np.ndarray) -> np.ndarray:
    """The digit read for each model input (N, 28, 28) floats, or -1 where it is declined as not a digit."""
    scores = recogniser.scores(inputs)
    digits = scores[:, :10].argmax(axis=1)
    if scores.shape[1] > NOT_A_DIGIT:
        digits = np.where(scores[:, NOT_A_DIGIT] >= NOT_A_DIGIT_THRESHOLD, -1, digits)
    return digits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["default"], help="model files or shipped names")
    parser.add_argument("--count", type=int, default=300, help="validation digits per kind (default 300)")
    arguments = parser.parse_args()
    (x_train, y_train), _ = load_mnist()
    (x_fit, y_fit), (x_validation, y_validation) = split(x_train, y_train, 0.1)
    chosen = np.random.default_rng(SEED).choice(len(x_validation), arguments.count, replace=False)
    kinds = {}
    for name, make in GENERATORS.items():
        random = np.random.default_rng([SEED, len(kinds)])
        kinds[name] = ([prepare(make(x_validation[index], random)) for index in chosen], y_validation[chosen])
    pen_images, pen_labels = writers.pendigits(None, np.random.default_rng(SEED), pen_digits.validation_rows())
    kinds["pen digits"] = (list(map(prepare, pen_images)), np.array(pen_labels))
    random = np.random.default_rng([SEED, len(kinds)])
    numbers = [random.choice(len(x_validation), int(random.integers(2, 6))) for _ in range(arguments.count // 3)]
    number_images = [desk_number([x_validation[index] for index in number], random) for number in numbers]
    number_truths = ["".join(str(y_validation[index]) for index in number) for number in numbers]
    drawn, labels = training_set(6000, SYNTHETIC_SEED + 1, x_fit, y_fit)
    non_digits = drawn[labels == NOT_A_DIGIT] / 255.0
    untaught = untaught_non_digits(arguments.count * 2, np.random.default_rng([SEED, len(kinds) + 1]))
    print("| model | MNIST validation | " + " | ".join(kinds) + " | desk numbers | non-digits declined "
          "| untaught non-digit kinds declined |")
    print("|---" * (len(kinds) + 5) + "|")
    for model in arguments.model:
        recogniser = load_recogniser(model)
        cells = [f"{100 * np.mean(answers(recogniser, x_validation / 255.0) == y_validation):.2f} %"]
        for prepared, truth in kinds.values():
            # As `digits predict` answers: a digit declined or not reached is wrong.
            read = [prediction.digit for prediction in predictions_for([""] * len(prepared), prepared, recogniser)]
            cells.append(f"{100 * np.mean(np.array(read, dtype=object) == truth):.1f} %")
        readings = recognise_numbers(number_images, recogniser)
        cells.append(f"{100 * np.mean([reading.number == truth for reading, truth in zip(readings, number_truths)]):.1f} %")
        cells.append(f"{100 * np.mean(answers(recogniser, non_digits) == -1):.1f} %")
        cells.append(f"{100 * np.mean(answers(recogniser, untaught) == -1):.1f} %")
        print(f"| {model} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
