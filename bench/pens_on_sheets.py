"""Photos of a sheet on a desk with a pen lying on it beside the writing: how many are read right.

A pen on the paper is no stroke of a digit, but it is as dark as one. The photos are
``scenes.desk_photo`` with ``pen_on_sheet``: the pen lies along the writing's line, above or
below it, two to five times as long as the writing is tall. ``--part validation`` (the
default) writes validation digits (training images 54,000-59,999, which no run trains on) on
the tuned desks and papers, the place to judge a change; ``--part held-out`` writes MNIST
test images 5,000-9,999 on every desk and paper, for the report. Single digits count as right
when read right (declined counts as wrong); numbers of 2-5 digits when read entirely right.

Run: cd bench && ../.venv/bin/python pens_on_sheets.py [--model default] [--part validation] [--count 300]
"""

import argparse

import numpy as np

import scenes
from digits.data import load_mnist, split
from digits.predict import recognise, recognise_numbers
from digits.recognisers import load_recogniser

SEEDS = {"validation": 41, "held-out": 43}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a model file or shipped name (default: default)")
    parser.add_argument("--part", choices=list(SEEDS), default="validation", help="which digits and desks")
    parser.add_argument("--count", type=int, default=300, help="single digits; half as many numbers (default 300)")
    arguments = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_mnist()
    if arguments.part == "validation":
        _, (x_part, y_part) = split(x_train, y_train, 0.1)
        desks = [name for name in scenes.DESKS if name not in scenes.HELD_OUT_KINDS]
        papers = [name for name in scenes.PAPERS if name not in scenes.HELD_OUT_KINDS]
    else:
        x_part, y_part = x_test[5000:], y_test[5000:]
        desks, papers = list(scenes.DESKS), list(scenes.PAPERS)
    random = np.random.default_rng(SEEDS[arguments.part])
    recogniser = load_recogniser(arguments.model)

    def photo(chosen: np.ndarray):
        return scenes.desk_photo([x_part[index] for index in chosen], random, str(random.choice(desks)),
                                 str(random.choice(papers)), pen_on_sheet=True)

    singles = [random.choice(len(x_part), 1) for _ in range(arguments.count)]
    photos = [photo(chosen) for chosen in singles]
    right = sum(prediction.digit == int(y_part[chosen[0]])
                for prediction, chosen in zip(recognise(photos, recogniser), singles))
    numbers = [random.choice(len(x_part), int(random.integers(2, 6))) for _ in range(arguments.count // 2)]
    photos = [photo(chosen) for chosen in numbers]
    read = sum(reading.number == "".join(str(y_part[index]) for index in chosen)
               for reading, chosen in zip(recognise_numbers(photos, recogniser), numbers))
    print(f"{recogniser.path.name}, {arguments.part}: single digits {right} of {len(singles)} right, "
          f"numbers {read} of {len(numbers)} entirely right")


if __name__ == "__main__":
    main()
