"""Make the package's default model from trained runs, choosing on the validation split.

Loads each member (runs/best-s*.keras by default), scores every member and their average
on the validation split they were trained without, keeps the average only if it beats the
best single member there, then writes src/digits/models/default.{keras,onnx} and its card.
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

    candidates = {Path(path).name: member for path, member in zip(paths, members)}
    if len(members) > 1:
        candidates["average of all"] = average(members, name="ensemble")
    validation = {name: metrics(model.predict(x_validation, batch_size=1000, verbose=0), y_validation)
                  for name, model in candidates.items()}
    for name, scores in validation.items():
        print(f"validation: {name}: accuracy {scores['accuracy']:.4f}, loss {scores['loss']:.4f}")
    chosen = max(validation, key=lambda name: (validation[name]["accuracy"], -validation[name]["loss"]))
    print(f"chosen on validation: {chosen}")
    chosen_members = members if chosen == "average of all" else [candidates[chosen]]
    temperature = best_temperature(candidates[chosen].predict(x_validation, batch_size=1000, verbose=0),
                                   y_validation)
    print(f"temperature fitted on validation: {temperature}")
    model = average(chosen_members, temperature=temperature, name="default")
    test = metrics(model.predict(scale_mnist(x_test)[..., None], batch_size=1000, verbose=0), y_test)
    print(f"test (scored once, after the choice): accuracy {test['accuracy']:.4f}")

    keras_path = DEFAULT_MODEL.with_suffix(".keras")
    with atomic_path(keras_path) as temporary:
        model.save(temporary)
    chosen_cards = cards if chosen == "average of all" else [cards[list(candidates).index(chosen)]]
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
