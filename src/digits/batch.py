"""Recognise many files: expand folders and globs, decode in parallel, stream the answers.

Memory stays bounded whatever the number of files: paths are read lazily and handled
``chunk_size`` at a time, so only one chunk of images is ever held.
"""

from __future__ import annotations

import csv
import glob
import io
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from digits.predict import Prediction, Recogniser, predictions_for, prepare, recognise_numbers

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
GLOB_CHARACTERS = set("*?[")
# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64


def expand(inputs: Iterable[str]) -> Iterator[str]:
    """Yield image paths: files as given, folders walked (sorted, images only), globs expanded.

    A path that names nothing is yielded as is, so that it is reported as an error.
    """
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        yield os.path.join(folder, name)
        elif not path.exists() and GLOB_CHARACTERS & set(item):
            matches = sorted(glob.iglob(item, recursive=True))
            yield from (match for match in matches if Path(match).is_file()) if matches else [item]
        else:
            yield item


def chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def recognise_paths(paths: Iterable[str], recogniser: Recogniser, workers: int | None = None,
                    chunk_size: int = 256, number: bool = False) -> Iterator[Prediction]:
    """Stream one ``Prediction`` per path, in input order, decoding on ``workers`` processes.

    ``workers`` defaults to the number of cores; 1 decodes in this process. ``number``
    reads whole numbers instead of single digits (one file at a time).
    """
    if number:
        for chunk in chunks(paths, chunk_size):
            yield from recognise_numbers(chunk, recogniser)
        return
    workers = workers or os.cpu_count() or 1
    pool = None
    try:
        for chunk in chunks(paths, chunk_size):
            if pool is None and workers > 1 and len(chunk) >= PARALLEL_THRESHOLD:
                pool = ProcessPoolExecutor(max_workers=workers)
            prepared = list(pool.map(prepare, chunk, chunksize=16)) if pool else [prepare(path) for path in chunk]
            yield from predictions_for(chunk, prepared, recogniser)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


CSV_COLUMNS = ["path", "digit", "number", "confidence", "low_confidence", *[f"p{digit}" for digit in range(10)],
               "reason", "error"]


def csv_header() -> str:
    return csv_row(dict(zip(CSV_COLUMNS, CSV_COLUMNS)))


def csv_line(prediction: Prediction) -> str:
    record = {"path": prediction.path, "digit": prediction.digit, "number": prediction.number,
              "confidence": prediction.confidence, "reason": prediction.reason, "error": prediction.error,
              "low_confidence": prediction.low_confidence if prediction.confidence is not None else None}
    record.update({f"p{digit}": value for digit, value in enumerate(prediction.probabilities)})
    return csv_row(record)


def csv_row(record: dict) -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n").writerow(
        {key: "" if value is None else value for key, value in record.items()})
    return buffer.getvalue().rstrip("\n")
