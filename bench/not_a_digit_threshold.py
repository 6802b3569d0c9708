"""Where to put the "not a digit" threshold: real validation digits declined against drawn non-digits declined.

250 digits of the MNIST validation split (training images 54,000-59,999, seed 21) are
made into photos, canvases, low-resolution images, tight crops and desk scenes; the drawn
validation set (``digits.synthetic``, seed 1, never trained on) gives the non-digits.
For each threshold it prints the share of each that a model would decline.

Run: .venv/bin/python bench/not_a_digit_threshold.py [--model default]
"""

import argparse

import numpy as np

import real_world
import scenes
from digits.data import load_mnist
from digits.predict import prepare
from digits.recognisers import load_recogniser
from digits.synthetic import NOT_A_DIGIT, training_set
from digits.data import split
from digits.training import SYNTHETIC_SEED

GENERATORS = {"photo": real_world.photo, "canvas": real_world.canvas, "low resolution": real_world.low_resolution,
              "tight crop": scenes.tight_crop, "desk": lambda digit, random: scenes.desk_photo([digit], random)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file or shipped name (default: the shipped default)")
    arguments = parser.parse_args()
    (x_train, y_train), _ = load_mnist()
    recogniser = load_recogniser(arguments.model)
    random = np.random.default_rng(21)
    chosen = random.choice(np.arange(54000, 60000), 250, replace=False)
    digit_scores = []
    for name, make in GENERATORS.items():
        prepared = [prepare(make(x_train[index], random)) for index in chosen]
        # The threshold is weighed on the images as they are (a stretched band's second look aside).
        kept = [item.image for item in prepared if item.image is not None]
        scores = recogniser.scores(np.stack(kept))
        digit_scores.append(scores[:, NOT_A_DIGIT])
        print(f"{name}: {len(kept)} of {len(chosen)} reach the model; not-a-digit ≥ 0.5 for "
              f"{100 * (scores[:, NOT_A_DIGIT] >= 0.5).mean():.1f} %", flush=True)
    real = np.concatenate(digit_scores)
    (x_fit, y_fit), _ = split(x_train, y_train, 0.1)
    drawn, labels = training_set(6000, SYNTHETIC_SEED + 1, x_fit, y_fit)
    non_digits = recogniser.scores(drawn[labels == NOT_A_DIGIT] / 255.0)[:, NOT_A_DIGIT]
    print("| threshold | real validation digits declined | drawn validation non-digits declined |")
    print("|---|---|---|")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        print(f"| {threshold} | {100 * (real >= threshold).mean():.2f} % ({(real >= threshold).sum()} of {len(real)}) "
              f"| {100 * (non_digits >= threshold).mean():.1f} % |")


if __name__ == "__main__":
    main()
