"""Write the sample images bundled in src/digits/samples/ from MNIST *test* digits.

Each sample dresses a test digit as a user's image would come: the tutorial's 28×28
white-on-black PNG, dark ink on light paper as a JPEG, a transparent canvas export, and
a blank canvas. Run: .venv/bin/python scripts/make_samples.py
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from digits.data import load_mnist

OUT = Path(__file__).resolve().parent.parent / "src" / "digits" / "samples"


def first_test_index(labels: np.ndarray, digit: int, skip: int = 0) -> int:
    return int(np.flatnonzero(labels == digit)[skip])


def main() -> None:
    _, (x_test, y_test) = load_mnist()
    OUT.mkdir(parents=True, exist_ok=True)

    five = x_test[first_test_index(y_test, 5)]
    Image.fromarray(five).convert("RGB").save(OUT / "five-28x28.png")

    three = Image.fromarray(255 - x_test[first_test_index(y_test, 3)]).resize((168, 168), Image.Resampling.BICUBIC)
    paper = Image.new("L", (240, 300), 235)
    paper.paste(three, (40, 70))
    paper = paper.filter(ImageFilter.GaussianBlur(0.8))
    tinted = Image.merge("RGB", [paper.point(lambda v: min(255, v + 8)), paper, paper.point(lambda v: v * 0.92)])
    tinted.save(OUT / "three-on-paper.jpg", quality=85)

    seven = x_test[first_test_index(y_test, 7)]
    alpha = Image.fromarray(seven).resize((224, 224), Image.Resampling.BICUBIC)
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    strokes = Image.new("RGBA", (224, 224), (0, 0, 0, 255))
    strokes.putalpha(alpha)
    canvas.paste(strokes, (28, 28))
    canvas.save(OUT / "seven-canvas.png")

    Image.new("RGBA", (280, 280), (255, 255, 255, 0)).save(OUT / "blank-canvas.png")
    print(f"wrote samples to {OUT}")


if __name__ == "__main__":
    main()
