"""Numbers photographed on a desk, from MNIST validation digits: how many a model reads entirely right.

Each number is 2-5 validation digits (training images 54,000-59,999, which no run trains
on) written on a sheet on a desk of the tuned kinds (``validation_kinds.desk_number``:
desks and papers outside ``scenes.HELD_OUT_KINDS``); every wrong reading is listed with
what was read, so that a change to the number reader can be judged, and its failures seen,
on validation data only. Seeds 78 and 80 are the ones the number reader was checked on.

Run: cd bench && ../.venv/bin/python number_validation.py --model default --seed 80 [--count 200] [--out DIR]
"""

import argparse
from pathlib import Path

import numpy as np

import validation_kinds
from digits.data import load_mnist, split
from digits.predict import recognise_numbers
from digits.recognisers import load_recogniser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a model file or shipped name (default: default)")
    parser.add_argument("--seed", type=int, default=80, help="the scenes' seed (default 80)")
    parser.add_argument("--count", type=int, default=200, help="numbers (default 200)")
    parser.add_argument("--out", help="save each wrongly read photo here, named by its index, truth and reading")
    arguments = parser.parse_args()
    (x_train, y_train), _ = load_mnist()
    _, (x_validation, y_validation) = split(x_train, y_train, 0.1)
    recogniser = load_recogniser(arguments.model)
    random = np.random.default_rng(arguments.seed)
    right = 0
    for index in range(arguments.count):
        chosen = random.choice(len(x_validation), int(random.integers(2, 6)))
        image = validation_kinds.desk_number([x_validation[item] for item in chosen], random)
        truth = "".join(str(y_validation[item]) for item in chosen)
        reading = recognise_numbers([image], recogniser)[0]
        if reading.number == truth:
            right += 1
            continue
        read = reading.number or f"no number ({reading.reason or reading.error})"
        print(f"{index}: {truth} read as {read}", flush=True)
        if arguments.out:
            Path(arguments.out).mkdir(parents=True, exist_ok=True)
            image.convert("RGB").save(Path(arguments.out) / f"{index:03d}-{truth}-{reading.number or 'none'}.png")
    print(f"{recogniser.path.name}, seed {arguments.seed}: {right} of {arguments.count} numbers read entirely right")


if __name__ == "__main__":
    main()
