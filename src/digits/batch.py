"""Recognise many files: expand folders and globs, decode in parallel, stream the answers.

Memory stays bounded whatever the number of files: paths are read lazily and handled
``chunk_size`` at a time, so only one chunk of images is ever held.

One file never costs the others: whatever decoding one file raises becomes that file's
error row, and a worker process that dies (killed, out of memory) is replaced; the files
it held are decoded again one at a time, so at most the file that killed it is lost.
Decoding runs on an engine (``digits.engines``), a pool of local processes by default.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import islice
from pathlib import Path

from digits.predict import Prediction, Prepared, predictions_for, prepare, recognise_numbers
from digits.recognisers import Recogniser

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
GLOB_CHARACTERS = set("*?[")
# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64
# Files handed to a worker process at a time.
GROUP_SIZE = 16


class Unmatched(str):
    """An input that names no image file (an empty folder, a glob that matches nothing); ``error`` says why."""

    def __new__(cls, item: str, error: str = "") -> "Unmatched":
        unmatched = super().__new__(cls, item)
        unmatched.error = error
        return unmatched


def expand(inputs: Iterable[str]) -> Iterator[str]:
    """Yield image paths: files as given, folders walked (sorted, images only), globs expanded.

    A path that names nothing is yielded as is, so that it is reported as an error; a
    folder with no image files or a glob that matches no file is yielded as ``Unmatched``.
    """
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = False
            for folder, subfolders, files in os.walk(path):
                subfolders.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        found = True
                        yield os.path.join(folder, name)
            if not found:
                yield Unmatched(item, f"{item}: no PNG, JPEG, BMP, GIF, WebP or TIFF files in this folder")
        elif not path.exists() and GLOB_CHARACTERS & set(item):
            matches = [match for match in sorted(glob.iglob(item, recursive=True)) if not Path(match).is_dir()]
            yield from matches or [Unmatched(item, f"{item}: no file matches this pattern")]
        else:
            yield item


def chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def guarded(function: Callable[[str], Prepared], path: str) -> Prepared:
    """``function(path)``, with any exception turned into this file's error."""
    if isinstance(path, Unmatched):
        return Prepared(None, None, path.error)
    try:
        return function(path)
    except Exception as error:  # a decoder bug on one file must not end the batch
        return Prepared(None, None, f"{path}: cannot read it ({type(error).__name__}: {' '.join(str(error).split())})")


def guarded_group(function: Callable[[str], Prepared], paths: list[str]) -> list[Prepared]:
    return [guarded(function, path) for path in paths]


def worker_died(path: str) -> Prepared:
    return Prepared(None, None,
                    f"{path}: the process decoding it died (killed, or out of memory); the other files are kept")


def prepare_on(engine, paths: list[str], function: Callable[[str], Prepared]) -> list[Prepared]:
    """Decode ``paths`` on ``engine``, ``GROUP_SIZE`` per task; answers in order.

    A group whose worker died (each time the engine tried it) is decoded again one file
    per task, so that only the file that kills a worker is lost; it gets an error row.
    """
    groups = [paths[start:start + GROUP_SIZE] for start in range(0, len(paths), GROUP_SIZE)]
    answers: list[Prepared | None] = [None] * len(paths)
    lost: list[int] = []
    for outcome in engine.map(partial(guarded_group, function), groups):
        first = outcome.index * GROUP_SIZE
        if outcome.lost:
            lost += range(first, first + len(outcome.item))
        else:
            rows = outcome.result or [Prepared(None, None, f"{path}: cannot read it ({outcome.error})")
                                      for path in outcome.item]
            answers[first:first + len(rows)] = rows
    singles = [paths[index] for index in lost]
    for outcome in engine.map(partial(guarded, function), singles):
        path = outcome.item
        answers[lost[outcome.index]] = (worker_died(path) if outcome.lost else outcome.result
                                        or Prepared(None, None, f"{path}: cannot read it ({outcome.error})"))
    return answers


def recognise_paths(paths: Iterable[str], recogniser: Recogniser, workers: int | None = None,
                    chunk_size: int = 256, number: bool = False,
                    prepare: Callable[[str], Prepared] = prepare, engine=None) -> Iterator[Prediction]:
    """Stream one ``Prediction`` per path, in input order, decoding on ``engine``.

    ``engine`` is any ``digits.engines`` engine (``map`` a function over items); by
    default a ``ProcessEngine`` of ``workers`` processes (one per core), started once a
    chunk is large enough to gain from it, and closed at the end; ``workers`` 1 decodes in
    this process. ``number`` reads whole numbers instead of single digits (one file at a
    time). ``prepare`` turns one path into a ``Prepared`` (its model inputs, or the no-digit
    reason, or the error); it
    runs where the engine runs it. A file that fails in any way is an error row; the
    others are answered.
    """
    if number:
        yield from read_numbers(paths, recogniser)
        return
    workers = workers or os.cpu_count() or 1
    owned = None
    try:
        for chunk in chunks(paths, chunk_size):
            if engine is None and workers > 1 and len(chunk) >= PARALLEL_THRESHOLD:
                from digits.engines import ProcessEngine

                engine = owned = ProcessEngine(workers=workers)
            prepared = guarded_group(prepare, chunk) if engine is None else prepare_on(engine, chunk, prepare)
            yield from predictions_for(chunk, prepared, recogniser)
    finally:
        if owned is not None:
            owned.close()


def read_numbers(paths: Iterable[str], recogniser: Recogniser) -> Iterator[Prediction]:
    """``recognise_numbers`` file by file, with any failure turned into that file's error row."""
    for path in paths:
        if isinstance(path, Unmatched):
            yield Prediction(path=path, error=path.error)
            continue
        try:
            yield from recognise_numbers([path], recogniser)
        except Exception as error:  # a bug on one file must not end the batch
            yield Prediction(path=path, error=f"{path}: cannot read it ({type(error).__name__}: "
                                              f"{' '.join(str(error).split())})")


# Characters that would break a line of output in two or garble a terminal: C0 and C1
# controls, Unicode line separators, and lone surrogates (undecodable bytes of a file name).
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control characters and undecodable bytes escaped (``\\n``, ``\\x1b``, ``\\udcff``).

    A file name may hold a newline; escaped, one file's answer stays one line.
    """
    return UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


CSV_COLUMNS = ["path", "digit", "number", "confidence", "low_confidence", *[f"p{digit}" for digit in range(10)],
               "not_a_digit", "reason", "error"]


def csv_header() -> str:
    return csv_row(dict(zip(CSV_COLUMNS, CSV_COLUMNS)))


def csv_line(prediction: Prediction) -> str:
    """One CSV row; control characters in the path or messages are escaped, so a row is one line."""
    record = {"path": prediction.path, "digit": prediction.digit, "number": prediction.number,
              "confidence": prediction.confidence, "not_a_digit": prediction.not_a_digit,
              "reason": prediction.reason, "error": prediction.error,
              "low_confidence": prediction.low_confidence if prediction.error is None else None}
    record.update({f"p{digit}": value for digit, value in enumerate(prediction.probabilities)})
    return csv_row(record)


def csv_row(record: dict) -> str:
    """One CSV row: None as an empty cell, booleans as ``true``/``false`` (as in the JSON), text made printable."""
    buffer = io.StringIO()
    csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n").writerow(
        {key: "" if value is None else str(value).lower() if isinstance(value, bool)
         else printable(value) if isinstance(value, str) else value for key, value in record.items()})
    return buffer.getvalue().rstrip("\n")
