"""Corrections: an image, what it really shows, and what the model said instead.

A ``Correction`` keeps the image as it arrived, the 28×28 model input made from it by
``digits.preprocess.to_model_input``, the true label (0-9, or ``NOT_A_DIGIT``), the model's
answer and confidence, which model that was (file name and sha256), where the correction
came from and, optionally, whose handwriting it is. ``digits.stores`` keeps them;
``export_corrections`` turns them into a data set (a folder of PNGs with ``labels.csv``).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

# The model's eleventh output: the label of an image that is not a digit at all.
NOT_A_DIGIT = 10
LABELS = tuple(range(NOT_A_DIGIT + 1))
SOURCES = ("page", "api", "cli")
# Longest writer name kept: a name, not a document.
MAX_WRITER_LENGTH = 100


@dataclass(frozen=True)
class Correction:
    """One correction.

    Attributes:
        label: the true answer, 0-9, or ``NOT_A_DIGIT`` (10).
        image: the image file's bytes as they arrived (PNG, JPEG, ...).
        model_input: (28, 28) float32 in [0, 1], white ink on black, as the model saw it.
        predicted: the model's answer, 0-9 or ``NOT_A_DIGIT``.
        confidence: the model's probability for ``predicted``, 0-1.
        model: the model file's name; ``model_sha256`` the sha256 of its bytes.
        source: ``"page"``, ``"api"`` or ``"cli"``.
        writer: whose handwriting it is, or ``None``.
        created_at: UTC time, ISO 8601 (``2026-11-26T13:08:20Z``).
        id: the store's number for it (``None`` until stored).
    """

    label: int
    image: bytes
    model_input: np.ndarray = field(repr=False)
    predicted: int
    confidence: float
    model: str
    model_sha256: str
    source: str
    writer: str | None = None
    created_at: str = ""
    id: int | None = None

    def __post_init__(self):
        check_label(self.label)
        if self.source not in SOURCES:
            raise ValueError(f"source {self.source!r}: expected one of {', '.join(SOURCES)}")
        shape = np.shape(self.model_input)
        if shape != (28, 28):
            raise ValueError(f"model input of shape {shape}: expected (28, 28)")
        if self.writer is not None and not 0 < len(self.writer) <= MAX_WRITER_LENGTH:
            raise ValueError(f"writer name of {len(self.writer)} characters: give 1 to {MAX_WRITER_LENGTH}, "
                             f"or none")

    def describe(self) -> str:
        """One line for people: ``12  7 (model said 1, 64%)  alice  cli  2026-11-26T13:08:20Z``."""
        said = f"model said {label_name(self.predicted)}, {100 * self.confidence:.0f}%"
        return (f"{self.id}\t{label_name(self.label)}\t({said})\t{self.writer or '-'}\t{self.source}\t"
                f"{self.created_at}")

    def to_dict(self) -> dict:
        """Everything but the image bytes and the model input, for JSON."""
        return {"id": self.id, "label": self.label, "not_a_digit": self.label == NOT_A_DIGIT,
                "predicted": self.predicted, "confidence": self.confidence, "model": self.model,
                "model_sha256": self.model_sha256, "source": self.source, "writer": self.writer,
                "created_at": self.created_at}


def check_label(label) -> int:
    """``label`` as an int in 0-10, or ``ValueError`` saying what is allowed."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or int(label) not in LABELS:
        raise ValueError(f"label {label!r}: expected a digit 0-9, or {NOT_A_DIGIT} for 'not a digit'")
    return int(label)


def parse_label(text: str) -> int:
    """A label as people type it: ``"7"``, or ``"not-a-digit"`` / ``"none"`` / ``"10"``."""
    cleaned = str(text).strip().lower().replace("_", "-").replace(" ", "-")
    if cleaned in ("not-a-digit", "none", str(NOT_A_DIGIT)):
        return NOT_A_DIGIT
    if len(cleaned) == 1 and cleaned.isdigit():
        return int(cleaned)
    raise ValueError(f"label {text!r}: expected a digit 0-9, or 'not-a-digit'")


def label_name(label: int) -> str:
    return "not a digit" if label == NOT_A_DIGIT else str(label)


def clean_writer(writer: str | None) -> str | None:
    """The writer name with outer spaces removed; empty means none."""
    if writer is None:
        return None
    writer = writer.strip()
    return writer or None


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=16)
def file_sha256(path: str, size: int, modified: float) -> str:
    """sha256 of a file, cached while its size and time stay the same."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_sha256(path: str | os.PathLike) -> str:
    status = os.stat(path)
    return file_sha256(str(path), status.st_size, status.st_mtime)


def make_correction(image: bytes, label: int, recogniser, source: str, writer: str | None = None) -> Correction:
    """The correction for ``image`` (file bytes): runs it through the model to record what the model said.

    Raises:
        ValueError: not an image, or no digit-like ink in it (nothing a model could learn from);
            ``NoDigitError`` (a ``ValueError``) says which.
    """
    from digits.predict import answers_for, prepare
    from digits.preprocess import NoDigitError

    label = check_label(label)
    if not isinstance(image, (bytes, bytearray)) or not image:
        raise ValueError("no image bytes: give an image file (PNG, JPEG, ...)")
    prepared = prepare(bytes(image))
    if prepared.error is not None:
        raise ValueError(prepared.error)
    # The answer exactly as `digits predict`, the API and the page give it, with the input it came from.
    answer, model_input = answers_for([""], [prepared], recogniser)[0]
    if answer.error:
        raise ValueError(answer.error)
    if model_input is None:
        raise NoDigitError(f"{answer.reason}: there is no ink the model could learn from; draw or photograph the "
                           f"digit again")
    if answer.digit is None:
        predicted, confidence = NOT_A_DIGIT, float(answer.not_a_digit)
    else:
        predicted, confidence = answer.digit, float(answer.confidence)
    return Correction(label=label, image=bytes(image), model_input=np.asarray(model_input, dtype=np.float32),
                      predicted=predicted, confidence=round(confidence, 6), model=recogniser.path.name,
                      model_sha256=model_sha256(recogniser.path), source=source, writer=clean_writer(writer),
                      created_at=now())


LABELS_CSV_COLUMNS = ("file", "original", "label", "predicted", "confidence", "writer", "source",
                      "model_sha256", "created_at", "id")


def export_corrections(corrections: Iterable[Correction], folder: str | os.PathLike) -> dict:
    """Write corrections as a data set: ``ID.png`` (the 28×28 model input, white on black, uint8),
    ``originals/ID.png`` (the image as it arrived, as PNG) and ``labels.csv`` (label 10 = not a digit).

    The folder appears whole or not at all: it is written beside ``folder`` under a temporary
    name and renamed into place. An existing ``folder`` is refused unless it is empty.

    Returns:
        ``{"folder", "count", "labels"}`` with ``labels`` the count per label.
    """
    from PIL import Image

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} exists and is not an empty folder; choose a new folder for the export")
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    counts: dict[str, int] = {}
    try:
        (temporary / "originals").mkdir()
        with open(temporary / "labels.csv", "w", newline="", encoding="utf-8") as handle:
            table = csv.writer(handle)
            table.writerow(LABELS_CSV_COLUMNS)
            for correction in corrections:
                name = f"{correction.id}.png"
                pixels = np.round(np.clip(correction.model_input, 0, 1) * 255).astype(np.uint8)
                Image.fromarray(pixels).save(temporary / name)
                Image.open(io.BytesIO(correction.image)).save(temporary / "originals" / name)
                table.writerow([name, f"originals/{name}", correction.label, correction.predicted,
                                correction.confidence, correction.writer or "", correction.source,
                                correction.model_sha256, correction.created_at, correction.id])
                counts[str(correction.label)] = counts.get(str(correction.label), 0) + 1
        os.chmod(temporary, 0o777 & ~current_umask())
        if folder.exists():
            folder.rmdir()
        os.replace(temporary, folder)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
    return {"folder": str(folder), "count": sum(counts.values()), "labels": dict(sorted(counts.items()))}


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
