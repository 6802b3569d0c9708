"""Look at MNIST samples: a PNG figure, and a preview made of characters for the terminal."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from digits.files import atomic_path

# From blank to full ink; two characters per pixel keep the preview roughly square.
SHADES = " .:-=+*#%@"


def terminal_preview(image: np.ndarray) -> str:
    """Draw a (28, 28) image (uint8, or float in [0, 1]) as lines of characters, ink dark-on-light."""
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.max() > 1.0:
        pixels = pixels / 255.0
    levels = np.clip((pixels * (len(SHADES) - 1)).round().astype(int), 0, len(SHADES) - 1)
    return "\n".join("".join(SHADES[level] * 2 for level in row).rstrip() for row in levels)


def grid_shape(text: str) -> tuple[int, int]:
    """Parse ``ROWSxCOLS`` (for example ``4x8``)."""
    try:
        rows, columns = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"grid {text!r}: expected ROWSxCOLS, for example 4x8") from None
    if rows < 1 or columns < 1 or rows * columns > 400:
        raise ValueError(f"grid {text!r}: expected 1 to 400 cells")
    return rows, columns


def save_figure(images: np.ndarray, labels: np.ndarray, indices: np.ndarray, columns: int,
                out: str | os.PathLike, title: str) -> Path:
    """Save a grid of labelled samples as a PNG (greys, as the tutorial's ``imshow``)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows = -(-len(images) // columns)
    figure, axes = pyplot.subplots(rows, columns, figsize=(1.3 * columns + 0.4, 1.5 * rows + 0.6), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, image, label, index in zip(axes.ravel(), images, labels, indices):
        axis.imshow(image, cmap="Greys", vmin=0, vmax=255)
        axis.set_title(f"#{index}: {label}", fontsize=10)
    figure.suptitle(title, fontsize=12)
    figure.tight_layout()
    out = Path(out)
    with atomic_path(out) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    pyplot.close(figure)
    return out


def samples(split: str, index: int | None, grid: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Pick the images to show: one by index, or the first ROWSxCOLS from ``index`` (default 0)."""
    from digits.data import load_mnist

    if split not in ("train", "test"):
        raise ValueError(f"split {split!r}: choose train or test")
    (x_train, y_train), (x_test, y_test) = load_mnist()
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    rows, columns = grid_shape(grid) if grid else (1, 1)
    start = index or 0
    if not 0 <= start < len(images):
        raise ValueError(f"index {start}: the {split} split has images 0 to {len(images) - 1}")
    indices = np.arange(start, min(start + rows * columns, len(images)))
    return images[indices], labels[indices], indices, columns
