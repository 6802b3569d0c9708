"""Recognise an archive into Parquet part files, on any engine (``digits.engines``), resumably.

``make_plan`` lists the images, skips those already answered in the output folder and
cuts the rest into parts of ``part_size`` files; ``run`` hands the parts to an engine,
where each worker loads the model once and answers its parts exactly as
``digits predict --json`` would (``digits.batch.recognise_paths``, in the worker's one
thread). Each finished part is written at once, atomically, as
``OUT/part-RUN-INDEX.parquet``: a part is either all there or not there, so a killed run
loses at most the parts it was working on, and the next run answers those files and no
other. One row per file, with the columns of ``schema``; a file that cannot be read is
an error row.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from digits.batch import Unmatched, read_numbers, recognise_paths
from digits.files import atomic_path, exclusive_lock, write_text_atomic
from digits.locations import is_url, list_images, read_bytes
from digits.predict import Prediction, Prepared, prepare, recognise_numbers
from digits.recognisers import SHIPPED_MODELS, load_recogniser, model_path

# Files per part: big enough that a part's overhead (a task, a file) is small against its
# work, small enough that a lost part costs seconds.
PART_SIZE = 1000
# Named with a leading underscore, so that Parquet readers given the folder pass it by.
SETTINGS_FILE = "_batch.json"
PART_NAME = re.compile(r"part-(\d+)-(\d+)\.parquet")
WORKER_DIED = "the process recognising it died (killed, or out of memory); the other files are kept"


def schema(number: bool = False):
    """The Parquet columns: one row per file, as ``digits predict --json`` answers it.

    ``probabilities`` holds the ten digits' (empty for an error); ``not_a_digit`` is set by
    models with that output. With ``number``, ``number`` holds the whole number read and
    ``digits`` its digits as JSON (digit, confidence, box each).
    """
    import pyarrow as pa

    columns = [("path", pa.string()), ("digit", pa.int64()), ("confidence", pa.float64()),
               ("probabilities", pa.list_(pa.float64())), ("low_confidence", pa.bool_()),
               ("not_a_digit", pa.float64()), ("reason", pa.string()), ("error", pa.string())]
    if number:
        columns[1:2] = [("number", pa.string()), ("digits", pa.string())]
    return pa.schema(columns)


def row_of(prediction: Prediction, number: bool = False) -> dict:
    row = {"path": prediction.path, "confidence": prediction.confidence,
           "probabilities": list(prediction.probabilities),
           "low_confidence": prediction.low_confidence if prediction.confidence is not None else None,
           "not_a_digit": prediction.not_a_digit, "reason": prediction.reason, "error": prediction.error}
    if number:
        row["number"] = prediction.number
        row["digits"] = json.dumps(prediction.digits) if prediction.digits is not None else None
    else:
        row["digit"] = prediction.digit
    return row


def prediction_of(row: dict) -> Prediction:
    """The ``Prediction`` a row was made from (``prediction_of(row).to_dict()`` is ``digits predict --json``'s line)."""
    digits = row.get("digits")
    return Prediction(path=row["path"], digit=row.get("digit"), confidence=row["confidence"],
                      probabilities=list(row["probabilities"] or []), reason=row["reason"], error=row["error"],
                      number=row.get("number"), digits=json.loads(digits) if digits is not None else None,
                      not_a_digit=row["not_a_digit"])


@dataclass(frozen=True)
class Part:
    """A piece of work for one worker: these files, with this model."""

    index: int
    paths: tuple[str, ...]
    model: str
    number: bool = False
    # Turns one path into a ``Prepared`` (model inputs, no-digit reason or error); tests pass their own.
    prepare: Callable[[str], Prepared] | None = None


@functools.lru_cache(maxsize=2)
def worker_recogniser(model: str):
    """The model, loaded once per worker process; one thread, since each worker has one."""
    return load_recogniser(model, threads=1)


def prepare_location(path: str) -> Prepared:
    """``predict.prepare`` for a local path or a URL (read through fsspec); messages name ``path``."""
    if not is_url(path):
        return prepare(path)
    try:
        data = read_bytes(path)
    except OSError as error:
        return Prepared(None, None, str(error))
    prepared = prepare(data)
    return prepared._replace(error=prepared.error and prepared.error.replace("image data", path, 1))


def read_numbers_at(paths: tuple[str, ...], recogniser) -> Iterator[Prediction]:
    """``batch.read_numbers``, with URLs read through fsspec."""
    for path in paths:
        if isinstance(path, Unmatched) or not is_url(path):
            yield from read_numbers([path], recogniser)
            continue
        try:
            prediction = recognise_numbers([read_bytes(path)], recogniser)[0]
        except OSError as error:
            prediction = Prediction(path=path, error=str(error))
        prediction.path = path
        prediction.error = prediction.error and prediction.error.replace("image data", path, 1)
        yield prediction


def recognise_part(part: Part):
    """Answer one part in this process: a ``pyarrow.Table`` of one row per file, in order."""
    import pyarrow as pa

    recogniser = worker_recogniser(part.model)
    if part.number:
        predictions = read_numbers_at(part.paths, recogniser)
    else:
        predictions = recognise_paths(part.paths, recogniser, workers=1, prepare=part.prepare or prepare_location)
    return pa.Table.from_pylist([row_of(prediction, part.number) for prediction in predictions],
                                schema=schema(part.number))


@dataclass
class Plan:
    """What a run will do: every file found, how many were answered before, the parts left."""

    out: Path
    total: int
    answered_before: int
    parts: list[Part]
    run: int
    model: str

    @property
    def files_left(self) -> int:
        return sum(len(part.paths) for part in self.parts)


def part_files(out: Path) -> list[Path]:
    return sorted(path for path in out.glob("part-*.parquet") if PART_NAME.fullmatch(path.name))


def answered_paths(out: Path) -> set[str]:
    """The paths already in ``out``'s part files."""
    import pyarrow.parquet as pq

    answered: set[str] = set()
    for path in part_files(out):
        try:
            answered.update(pq.read_table(path, columns=["path"]).column("path").to_pylist())
        except Exception as error:  # pyarrow's own types; a part is written whole, so this is outside damage
            raise ValueError(f"{path}: not a readable Parquet part ({type(error).__name__}); delete it and run "
                             f"again to answer its files anew") from None
    return answered


def worker_model(model: str | None) -> str:
    """How workers find the model: a shipped model by name, any other as an absolute path."""
    if model is None or str(model) in SHIPPED_MODELS:
        return str(model or SHIPPED_MODELS[0])
    return str(Path(model).resolve())


def check_settings(out: Path, settings: dict) -> None:
    """Refuse to mix answers of another model (or mode) into ``out``; record them on first use."""
    path = out / SETTINGS_FILE
    if path.exists():
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError(f"{path}: not valid JSON; restore it, or choose another --out") from None
        if before != settings:
            raise ValueError(f"{out} holds answers made with {before}, not {settings}; use the same --model and "
                             f"--number to resume, or another --out")
    else:
        write_text_atomic(path, json.dumps(settings) + "\n")


def make_plan(inputs: list[str], out: str | os.PathLike, model: str | None = None, number: bool = False,
              from_list: str | os.PathLike | None = None, part_size: int | None = None,
              prepare: Callable[[str], Prepared] | None = None) -> Plan:
    """List the images, leave out those answered in ``out`` already, cut the rest into parts.

    The model is loaded here once, so that a bad model is refused before any work starts.
    ``part_size`` defaults to ``PART_SIZE``.

    Raises:
        ValueError: ``part_size`` below 1, no inputs, a model that cannot load, or ``out``
            holding answers of another model or mode.
        FileNotFoundError: the model or ``from_list`` does not exist.
    """
    part_size = PART_SIZE if part_size is None else part_size
    if part_size < 1:
        raise ValueError(f"part size {part_size}: expected a whole number of files, at least 1")
    if not inputs and from_list is None:
        raise ValueError("no inputs: give folders, files, globs or URLs, or --from-list FILE")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: is a file; give a folder for the Parquet parts")
    load_recogniser(model_path(model) if model else None)
    paths = list_images(inputs, from_list)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"model": worker_model(model), "number": number}
    check_settings(out, settings)
    answered = answered_paths(out)
    left = [path for path in paths if str(path) not in answered]
    runs = [int(PART_NAME.fullmatch(path.name).group(1)) for path in part_files(out)]
    parts = [Part(index, tuple(left[start:start + part_size]), settings["model"], number, prepare)
             for index, start in enumerate(range(0, len(left), part_size))]
    return Plan(out, len(paths), len(paths) - len(left), parts, max(runs, default=0) + 1, settings["model"])


@dataclass
class Tally:
    """Files answered with a digit (or number), declined (no digit, and why), or errors."""

    answered: int = 0
    declined: int = 0
    errors: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def files(self) -> int:
        return self.answered + self.declined + self.errors

    def add(self, table) -> None:
        columns = table.to_pydict()
        value = columns.get("digit", columns.get("number"))
        for answer, error in zip(value, columns["error"]):
            if error is not None:
                self.errors += 1
            elif answer is not None:
                self.answered += 1
            else:
                self.declined += 1

    def progress(self, total: int) -> str:
        """``1,000/20,000 files, 812/s, 23 s left``."""
        seconds = time.perf_counter() - self.started
        rate = self.files / max(seconds, 1e-9)
        left = (total - self.files) / rate if rate > 0 else float("inf")
        remaining = f"{left:.0f} s left" if left < 120 else f"{left / 60:.0f} min left" if left != float("inf") else ""
        return f"{self.files:,}/{total:,} files, {rate:.0f}/s" + (f", {remaining}" if remaining else "")

    def summary(self) -> str:
        seconds = time.perf_counter() - self.started
        return (f"{self.answered:,} answered, {self.declined:,} declined (no digit), {self.errors:,} errors; "
                f"{self.files:,} files in {seconds:.1f} s, {self.files / max(seconds, 1e-9):.0f} files/s")


def write_part(plan: Plan, index: int, table) -> Path:
    import pyarrow.parquet as pq

    path = plan.out / f"part-{plan.run:04d}-{index:06d}.parquet"
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)
    return path


def lost_rows(part: Part):
    import pyarrow as pa

    rows = [row_of(Prediction(path=path, error=f"{path}: {WORKER_DIED}"), part.number) for path in part.paths]
    return pa.Table.from_pylist(rows, schema=schema(part.number))


def run(plan: Plan, engine, recognise: Callable[[Part], object] = recognise_part) -> Iterator[object]:
    """Answer ``plan``'s parts on ``engine``, writing each as it finishes; yield each part's table.

    A part whose worker died every time it was tried is run again one file per part, so
    that only the file that kills a worker is lost; it gets an error row. A part whose
    function raised (a fault outside any one file) is not written: the next run tries it again.

    Raises:
        RuntimeError: after every part that could be answered is written, when parts failed.
    """
    failures = []
    singles = []
    for outcome in engine.map(recognise, plan.parts):
        if outcome.lost:
            singles += [Part(0, (path,), outcome.item.model, outcome.item.number, outcome.item.prepare)
                        for path in outcome.item.paths]
        elif outcome.error is not None:
            failures.append(f"part {outcome.item.index} ({len(outcome.item.paths)} files): {outcome.error}")
        else:
            write_part(plan, outcome.item.index, outcome.result)
            yield outcome.result
    first_single = len(plan.parts)
    singles = [Part(first_single + offset, part.paths, part.model, part.number, part.prepare)
               for offset, part in enumerate(singles)]
    for outcome in engine.map(recognise, singles):
        table = lost_rows(outcome.item) if outcome.lost else outcome.result
        if outcome.error is not None:
            failures.append(f"{outcome.item.paths[0]}: {outcome.error}")
            continue
        write_part(plan, outcome.item.index, table)
        yield table
    if failures:
        raise RuntimeError(f"{len(failures)} parts failed and were not written (run again to retry them): "
                           f"{failures[0]}")


def read_answers(out: str | os.PathLike):
    """Every row in ``out``'s part files, as one ``pyarrow.Table``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(path) for path in part_files(Path(out))]
    return pa.concat_tables(tables) if tables else None


def batch_lock(out: str | os.PathLike):
    """Held while a run writes ``out``: two runs on one folder could answer a file twice."""
    return exclusive_lock(Path(out) / ".batch.lock", f"output folder {out}")
