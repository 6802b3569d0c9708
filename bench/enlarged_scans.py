"""Low-resolution scans enlarged: MNIST validation digits made 8×8 in 17 grey levels (as UCI
optdigits' scans are), enlarged with bicubic resampling to a few sizes, dark on light and light
on dark, read by a shipped model. Validation data only (training images 54,000-59,999); the
project's held-out 8×8 writers (``load_digits``) are in ``real_world.py``.

Run: .venv/bin/python bench/enlarged_scans.py --model default
"""

import argparse

import numpy as np
from PIL import Image

from digits.data import load_mnist, split
from digits.predict import recognise
from digits.recognisers import load_recogniser

SEED = 5
SIZES = (28, 64, 100, 150, 200)


def enlarged(digit: np.ndarray, size: int, dark_on_light: bool) -> np.ndarray:
    """An MNIST digit (its middle 24×24) made 8×8 in 17 levels, then enlarged to ``size`` pixels a side."""
    small = Image.fromarray(digit).crop((2, 2, 26, 26)).resize((8, 8), Image.Resampling.BOX)
    levels = np.round(np.asarray(small) / 255 * 16) / 16
    image = np.asarray(Image.fromarray((levels * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC))
    return 255 - image if dark_on_light else image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a model file or shipped name (default: default)")
    parser.add_argument("--count", type=int, default=400, help="digits (default 400)")
    arguments = parser.parse_args()
    (x_train, y_train), _ = load_mnist()
    _, (x_validation, y_validation) = split(x_train, y_train, 0.1)
    chosen = np.random.default_rng(SEED).choice(len(x_validation), arguments.count, replace=False)
    recogniser = load_recogniser(arguments.model)
    print("| pixels | dark on light | light on dark |")
    print("|---|---|---|")
    for size in SIZES:
        cells = []
        for dark_on_light in (True, False):
            images = [enlarged(x_validation[index], size, dark_on_light) for index in chosen]
            read = [prediction.digit for prediction in recognise(images, recogniser)]
            right = int(np.sum(np.array(read, dtype=object) == y_validation[chosen]))
            cells.append(f"{right} of {len(chosen)} ({100 * right / len(chosen):.1f} %)")
        print(f"| {size} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
