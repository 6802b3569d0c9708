"""Ship the models that also answer "not a digit": `default` and `accurate` from `robust` runs.

Takes the runs `digits train --preset robust` made (a compact net, and optionally a best
net, each taught further from the shipped network of its kind; see docs/training.md) and
writes src/digits/models/NAME.{keras,onnx,card.json}:

- `default`: the compact run alone;
- `accurate`: the best and compact runs averaged (when a best run is given).

Each gets a temperature fitted on validation data no run trained on: the MNIST
validation split's digits and a drawn set made with another seed than the training one
(``digits.synthetic``, seed 1: other styles, small crops and non-digits). The ONNX files
are float32 (int8 moved answers of the earlier shipped models on this machine's ONNX
Runtime). The MNIST test set is scored once per model, for its card.

Run: .venv/bin/python scripts/ship_robust.py runs/compact-robust.keras [runs/best-robust.keras]
"""

import argparse
from pathlib import Path

import keras
import numpy as np

import digits.model  # noqa: F401  (registers the project's layers for loading)
from digits.card import library_versions, read_card, today, write_card
from digits.config import TrainConfig
from digits.data import arrays_checksum, load_mnist
from digits.evaluation import best_temperature, metrics
from digits.exporting import export
from digits.files import atomic_path
from digits.model import average, multiply_adds
from digits.predict import MODELS_DIR
from digits.preprocess import scale_mnist
from digits.synthetic import training_set
from digits.training import SYNTHETIC_SEED, split

# Drawn validation images: another seed than the training set's, never trained on.
VALIDATION_SEED = SYNTHETIC_SEED + 1
VALIDATION_COUNT = 6000


def validation_data(arrays) -> tuple[np.ndarray, np.ndarray, int]:
    """MNIST's validation split and the drawn validation set, together: (images (N, 28, 28, 1), labels, MNIST count)."""
    (x_train, y_train), _ = arrays
    (x_fit, y_fit), (x_validation, y_validation) = split(x_train, y_train, TrainConfig().validation_split)
    drawn, drawn_labels = training_set(VALIDATION_COUNT, VALIDATION_SEED, x_fit, y_fit)
    images = scale_mnist(np.concatenate([x_validation, drawn]))[..., None]
    return images, np.concatenate([y_validation, drawn_labels]), len(x_validation)


def ship(name: str, members: list[keras.Model], runs: list[Path], arrays) -> None:
    images, labels, mnist_count = validation_data(arrays)
    probabilities = average(members).predict(images, batch_size=1024, verbose=0)
    temperature = best_temperature(probabilities, labels)
    model = average(members, temperature=temperature, name=name)
    scored = model.predict(images, batch_size=1024, verbose=0)
    _, (x_test, y_test) = arrays
    test = metrics(model.predict(scale_mnist(x_test)[..., None], batch_size=1024, verbose=0), y_test)
    keras_path = MODELS_DIR / f"{name}.keras"
    with atomic_path(keras_path) as temporary:
        model.save(temporary)
    cards = [read_card(run) for run in runs]
    card = {
        "model": keras_path.name,
        "date": today(),
        "config": {**cards[0]["config"], "arch": "+".join(sorted({card["config"]["arch"] for card in cards}))},
        "members": [{"arch": card["config"]["arch"], "seed": card["config"]["seed"], "run": run.name,
                     "init_from": card["config"].get("init_from", ""), "train_seconds": card.get("train_seconds")}
                    for card, run in zip(cards, runs)],
        "temperature": round(float(temperature), 4),
        "parameters": int(model.count_params()),
        "multiply_adds": multiply_adds(model),
        "precision": "float32",
        "classes": "ten digits and 'not a digit'",
        "selection": ("members taught further from the earlier shipped networks with the robust preset; temperature "
                      "fitted on the MNIST validation split together with a drawn validation set (seed "
                      f"{VALIDATION_SEED}); the test set was scored once afterwards"),
        "validation": metrics(scored[:mnist_count], labels[:mnist_count]),
        "validation_drawn": metrics(scored[mnist_count:], labels[mnist_count:]),
        "test": test,
        "data_sha256": arrays_checksum(arrays),
        "versions": library_versions(),
        "reproduce": "make model",
        # The first member's training curves (the report draws them).
        "history": cards[0].get("history", []),
    }
    write_card(keras_path, card)
    result = export(keras_path, keras_path.with_suffix(".onnx"), check_images=images[:512, ..., 0])
    print(f"{name}: temperature {temperature:.3f}, MNIST validation {card['validation']['accuracy']:.4f}, "
          f"drawn validation {card['validation_drawn']['accuracy']:.4f}, test {test['accuracy']:.4f}, "
          f"ONNX same digits {result['same_digits']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="the compact run, then optionally the best run")
    arguments = parser.parse_args()
    arrays = load_mnist()
    members = [keras.saving.load_model(run, compile=False) for run in arguments.runs]
    ship("default", members[:1], arguments.runs[:1], arrays)
    if len(members) > 1:
        ship("accurate", [members[1], members[0]], [arguments.runs[1], arguments.runs[0]], arrays)


if __name__ == "__main__":
    main()
