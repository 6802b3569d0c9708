"""Make the package's default model from trained runs, choosing on the validation split.

Loads each member (runs/best-s*.keras by default), scores every member alone and the
averages of the first k members on the validation split they were trained without, keeps
the most accurate there (on a tie, the one with fewer members), fits a temperature on the
same split, then writes src/digits/models/default.{keras,onnx} and its card.
The test set is scored once, for the card, after the choice is made.

Run: .venv/bin/python scripts/ship_model.py [runs/best-s0.keras runs/best-s1.keras ...]
"""

import glob
import json
import sys
from pathlib import Path

import keras

from digits.card import library_versions, read_card, today, write_card
from digits.config import TrainConfig
from digits.data import arrays_checksum, load_mnist
from digits.evaluation import best_temperature, metrics
from digits.exporting import export
from digits.files import atomic_path
from digits.model import average
from digits.predict import DEFAULT_MODEL
from digits.preprocess import scale_mnist
from digits.training import split


def main() -> None:
    paths = sys.argv[1:] or sorted(glob.glob("runs/best-s*.keras"))
    if not paths:
        raise SystemExit("no trained runs: train with `digits train --preset best --seed N --out runs/best-sN.keras`")
    cards = [read_card(path) for path in paths]
    members = [keras.saving.load_model(path, compile=False) for path in paths]
    for index, member in enumerate(members):
        member.name = f"member_{index}"
    config = TrainConfig(**cards[0]["config"])
    arrays = load_mnist()
    (x_train, y_train), (x_test, y_test) = arrays
    _, (x_validation, y_validation) = split(scale_mnist(x_train)[..., None], y_train, config.validation_split)

    # Candidates: each member alone, and the averages of the first k members.
    candidates = {Path(path).name: [index] for index, path in enumerate(paths)}
    for count in range(2, len(members) + 1):
        candidates[f"average of the first {count}"] = list(range(count))
    member_probabilities = [member.predict(x_validation, batch_size=1000, verbose=0) for member in members]
    validation = {}
    for name, indices in candidates.items():
        probabilities = sum(member_probabilities[index] for index in indices) / len(indices)
        validation[name] = metrics(probabilities, y_validation)
        print(f"validation: {name}: accuracy {validation[name]['accuracy']:.4f}, loss {validation[name]['loss']:.4f}")
    # Most accurate first; on a tie, fewer members (faster), then lower loss.
    chosen = max(validation, key=lambda name: (validation[name]["accuracy"], -len(candidates[name]),
                                               -validation[name]["loss"]))
    print(f"chosen on validation: {chosen}")
    chosen_members = [members[index] for index in candidates[chosen]]
    chosen_cards = [cards[index] for index in candidates[chosen]]
    temperature = best_temperature(average(chosen_members).predict(x_validation, batch_size=1000, verbose=0),
                                   y_validation)
    print(f"temperature fitted on validation: {temperature}")
    model = average(chosen_members, temperature=temperature, name="default")
    test = metrics(model.predict(scale_mnist(x_test)[..., None], batch_size=1000, verbose=0), y_test)
    print(f"test (scored once, after the choice): accuracy {test['accuracy']:.4f}")

    keras_path = DEFAULT_MODEL.with_suffix(".keras")
    with atomic_path(keras_path) as temporary:
        model.save(temporary)
    card = {
        "model": keras_path.name,
        "date": today(),
        "config": config.__dict__ | {"out": ""},
        "members": [{"seed": c["config"]["seed"], "validation": c["validation"]["accuracy"],
                     "train_seconds": c["train_seconds"], "date": c["date"]} for c in chosen_cards],
        "temperature": temperature,
        "parameters": int(model.count_params()),
        "selection": (f"candidates {sorted(candidates)} scored on the validation split "
                      f"({len(x_validation)} training images held out); the best was kept; "
                      "a temperature was then fitted on the same split to calibrate confidences; "
                      "the test set was scored once afterwards"),
        "validation": metrics(model.predict(x_validation, batch_size=1000, verbose=0), y_validation),
        "test": test,
        "data_sha256": arrays_checksum(arrays),
        "train_seconds": round(sum(c["train_seconds"] for c in chosen_cards), 1),
        "machine": cards[0]["machine"],
        "versions": library_versions(),
        "history": chosen_cards[0]["history"],
        "reproduce": "make model",
    }
    write_card(keras_path, card)
    result = export(keras_path, DEFAULT_MODEL)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
