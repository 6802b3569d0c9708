"""Where corrections are kept: one small object per database, chosen from the ``--store`` value.

- ``SqliteStore`` (``sqlite_store.py``): a file, by default ``$XDG_DATA_HOME/digits/corrections.db``
  (``~/.local/share/digits/corrections.db``); ``--store PATH`` names another.
- ``PostgresStore`` (``postgres_store.py``): a team's shared server, ``--store postgresql://user@host/database``.

Both apply the same migrations (``digits/migrations/NNNN_*.sql``, in order, each recorded
in ``schema_version``) on opening, and write each correction in one transaction: a full
disk, a lost connection or a crash leaves what was stored before as it was, and raises
``StoreError`` with one line that says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from digits.corrections import Correction

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_FILE_NAME = "corrections.db"
COLUMNS = ("id", "created_at", "label", "image", "model_input", "predicted", "confidence", "model",
           "model_sha256", "source", "writer")
# The model input is stored as this many little-endian float32 values.
MODEL_INPUT_DTYPE = np.dtype("<f4")
KEPT = "nothing already stored was lost"


class StoreError(RuntimeError):
    """The store cannot be read or written (disk full, connection lost, not a corrections store)."""


class CorrectionStore(Protocol):
    """What every store does. ``location`` is what ``--store`` said (a path or a URL, password hidden)."""

    location: str

    def add(self, correction: Correction) -> Correction:
        """Store one correction in one transaction; return it with its ``id``."""

    def corrections(self, writer: str | None = None, ids: Iterable[int] | None = None) -> list[Correction]:
        """Stored corrections, oldest first; only ``writer``'s, or only ``ids``, when given."""

    def delete(self, ids: Iterable[int] | None = None, writer: str | None = None) -> int:
        """Delete by id, or all of ``writer``'s; return how many were deleted."""

    def close(self) -> None:
        ...


def data_dir() -> Path:
    """Where `digits` keeps what users make (``$XDG_DATA_HOME/digits``, else ``~/.local/share/digits``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "digits"


def default_location() -> str:
    return str(data_dir() / DEFAULT_FILE_NAME)


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of each migration file, in order; the version is the file name's number."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number = re.match(r"(\d+)_", path.name)
        if number:
            found.append((int(number.group(1)), path.read_text(encoding="utf-8")))
    return found


def statements(sql: str, words: dict[str, str]) -> list[str]:
    """The migration's statements with the dialect's words filled in (comments dropped)."""
    for key, value in words.items():
        sql = sql.replace("{{" + key + "}}", value)
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def from_row(row) -> Correction:
    values = dict(zip(COLUMNS, row))
    values["image"] = bytes(values["image"])
    values["model_input"] = np.frombuffer(bytes(values["model_input"]), dtype=MODEL_INPUT_DTYPE).astype(
        np.float32).reshape(28, 28)
    return Correction(**values)


def to_row(correction: Correction) -> tuple:
    """The values of every column but ``id``, in ``COLUMNS`` order."""
    model_input = np.ascontiguousarray(correction.model_input, dtype=MODEL_INPUT_DTYPE).tobytes()
    return (correction.created_at, correction.label, correction.image, model_input, correction.predicted,
            float(correction.confidence), correction.model, correction.model_sha256, correction.source,
            correction.writer)


def where(writer: str | None, ids: Iterable[int] | None, marker: str) -> tuple[str, list]:
    """A WHERE clause for a writer and/or ids, with ``marker`` as the parameter placeholder."""
    clauses, parameters = [], []
    if writer is not None:
        clauses.append(f"writer = {marker}")
        parameters.append(writer)
    if ids is not None:
        ids = [int(number) for number in ids]
        if not ids:
            return " WHERE 1 = 0", []
        clauses.append(f"id IN ({', '.join([marker] * len(ids))})")
        parameters.extend(ids)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", parameters


def store_kinds() -> tuple:
    """Every kind of store, in the order ``open_store`` asks them whether a location is theirs."""
    from digits.postgres_store import PostgresStore
    from digits.sqlite_store import SqliteStore

    return (PostgresStore, SqliteStore)


def open_store(location: str | os.PathLike | None = None) -> CorrectionStore:
    """The store at ``location``: a ``postgresql://`` URL, a SQLite file path, or ``None`` for the default file."""
    location = str(location) if location else default_location()
    for kind in store_kinds():
        if kind.accepts(location):
            return kind(location)
    raise ValueError(f"store {location!r}: expected a file path or a postgresql:// URL")
