"""Where corrections are kept: one small object per database, chosen from the ``--store`` value.

- ``SqliteStore``: a file, by default ``$XDG_DATA_HOME/digits/corrections.db``
  (``~/.local/share/digits/corrections.db``); ``--store PATH`` names another.
- ``PostgresStore``: a team's shared server, ``--store postgresql://user@host/database``.

Both apply the same migrations (``digits/migrations/NNNN_*.sql``, in order, each recorded
in ``schema_version``) on opening, and write each correction in one transaction: a full
disk, a lost connection or a crash leaves what was stored before as it was, and raises
``StoreError`` with one line that says so.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
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


class SqliteStore:
    """Corrections in a SQLite file; one connection per operation, so threads (the server's) may share it."""

    words = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "bytes": "BLOB", "real": "REAL"}

    @staticmethod
    def accepts(location: str) -> bool:
        return "://" not in location

    def __init__(self, location: str | os.PathLike):
        self.path = Path(location).expanduser()
        self.location = str(self.path)
        if self.path.is_dir():
            raise StoreError(f"corrections store {self.path} is a folder; give a file name such as "
                             f"{self.path / DEFAULT_FILE_NAME}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"corrections store {self.path}: cannot create its folder ({error.strerror}); "
                             f"choose another --store") from None
        with self.transaction() as connection:
            self.migrate(connection)

    def connect(self) -> sqlite3.Connection:
        # Autocommit off in the module's sense: transactions are begun explicitly below.
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def transaction(self):
        return SqliteTransaction(self)

    def migrate(self, connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        current = connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        for version, sql in migrations():
            if version > current:
                for statement in statements(sql, self.words):
                    connection.execute(statement)
                connection.execute("INSERT INTO schema_version VALUES (?, datetime('now'))", (version,))

    def add(self, correction: Correction) -> Correction:
        with self.transaction() as connection:
            cursor = connection.execute(
                f"INSERT INTO corrections ({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' * (len(COLUMNS) - 1))})",
                to_row(correction))
            number = cursor.lastrowid
        return from_row((number, *to_row(correction)))

    def corrections(self, writer: str | None = None, ids: Iterable[int] | None = None) -> list[Correction]:
        clause, parameters = where(writer, ids, "?")
        with self.transaction() as connection:
            rows = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM corrections{clause} ORDER BY id",
                                      parameters).fetchall()
        return [from_row(row) for row in rows]

    def delete(self, ids: Iterable[int] | None = None, writer: str | None = None) -> int:
        clause, parameters = where(writer, ids, "?")
        if not clause:
            raise ValueError("delete what? give ids or a writer")
        with self.transaction() as connection:
            return connection.execute(f"DELETE FROM corrections{clause}", parameters).rowcount

    def close(self) -> None:
        pass


class SqliteTransaction:
    """``with`` block: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK and ``StoreError`` on any database error."""

    def __init__(self, store: SqliteStore):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.connection = self.store.connect()
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self.failure(error) from None
        return self.connection

    def __exit__(self, kind, error, trace) -> bool:
        try:
            if error is None:
                self.connection.execute("COMMIT")
            else:
                self.connection.execute("ROLLBACK")
        except sqlite3.Error as failure:
            error = error or failure
            try:
                self.connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        finally:
            self.connection.close()
        if isinstance(error, sqlite3.Error):
            raise self.failure(error) from None
        return False

    def failure(self, error: sqlite3.Error) -> StoreError:
        path = self.store.path
        text = str(error)
        if "disk is full" in text or "disk I/O" in text:
            return StoreError(f"corrections store {path}: the disk is full ({text}); this change was not saved and "
                              f"{KEPT}; free some space and try again")
        if "not a database" in text or "no such table" in text or "malformed" in text:
            return StoreError(f"corrections store {path}: not a corrections database ({text}); "
                              f"give another --store")
        if "locked" in text or "busy" in text:
            return StoreError(f"corrections store {path}: in use by another program for over 10 s ({text}); "
                              f"{KEPT}; try again")
        return StoreError(f"corrections store {path}: {text}; {KEPT}")


class PostgresStore:
    """Corrections on a PostgreSQL server (``postgresql://user:password@host:port/database``).

    One connection, opened again after it is lost; a lock serialises the threads that share it.
    """

    words = {"id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "bytes": "BYTEA",
             "real": "DOUBLE PRECISION"}
    # Any two-integer key: held while migrating, so two programs starting at once migrate once.
    migration_lock = (0x6469, 0x6769)

    @staticmethod
    def accepts(location: str) -> bool:
        return location.startswith(("postgresql://", "postgres://"))

    def __init__(self, location: str, connect_timeout: int = 10):
        try:
            import psycopg
        except ImportError:
            raise StoreError("a postgresql:// store needs psycopg; install it with "
                             "`pip install 'psycopg[binary]'`") from None
        self.psycopg = psycopg
        self.url = location
        self.location = re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", location)
        self.connect_timeout = connect_timeout
        self.connection = None
        self.lock = threading.Lock()
        with self.transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", self.migration_lock)
            cursor.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                           "applied_at TIMESTAMPTZ DEFAULT now())")
            cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = cursor.fetchone()[0]
            for version, sql in migrations():
                if version > current:
                    for statement in statements(sql, self.words):
                        cursor.execute(statement)
                    cursor.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))

    def transaction(self):
        return PostgresTransaction(self)

    def add(self, correction: Correction) -> Correction:
        with self.transaction() as cursor:
            cursor.execute(f"INSERT INTO corrections ({', '.join(COLUMNS[1:])}) "
                           f"VALUES ({', '.join(['%s'] * (len(COLUMNS) - 1))}) RETURNING id", to_row(correction))
            number = cursor.fetchone()[0]
        return from_row((number, *to_row(correction)))

    def corrections(self, writer: str | None = None, ids: Iterable[int] | None = None) -> list[Correction]:
        clause, parameters = where(writer, ids, "%s")
        with self.transaction() as cursor:
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM corrections{clause} ORDER BY id", parameters)
            rows = cursor.fetchall()
        return [from_row(row) for row in rows]

    def delete(self, ids: Iterable[int] | None = None, writer: str | None = None) -> int:
        clause, parameters = where(writer, ids, "%s")
        if not clause:
            raise ValueError("delete what? give ids or a writer")
        with self.transaction() as cursor:
            cursor.execute(f"DELETE FROM corrections{clause}", parameters)
            return cursor.rowcount

    def close(self) -> None:
        with self.lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None


class PostgresTransaction:
    """``with`` block: a cursor inside one transaction, committed on success and rolled back otherwise.

    A lost connection is dropped (the next block opens a new one) and becomes ``StoreError``.
    """

    def __init__(self, store: PostgresStore):
        self.store = store

    def __enter__(self):
        store = self.store
        store.lock.acquire()
        try:
            if store.connection is None or store.connection.closed:
                store.connection = store.psycopg.connect(store.url, connect_timeout=store.connect_timeout,
                                                         application_name="digits", autocommit=True)
            self.context = store.connection.transaction()
            self.context.__enter__()
            self.cursor = store.connection.cursor()
            return self.cursor
        except BaseException as error:
            store.lock.release()
            if isinstance(error, store.psycopg.Error):
                self.drop()
                raise self.failure(error) from None
            raise

    def __exit__(self, kind, error, trace) -> bool:
        store = self.store
        try:
            try:
                self.cursor.close()
                self.context.__exit__(kind, error, trace)
            except store.psycopg.Error as failure:
                error = error or failure
            if isinstance(error, store.psycopg.Error):
                if isinstance(error, (store.psycopg.OperationalError, store.psycopg.InterfaceError)):
                    self.drop()
                raise self.failure(error) from None
            return False
        finally:
            store.lock.release()

    def drop(self) -> None:
        connection, self.store.connection = self.store.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass

    def failure(self, error) -> StoreError:
        location = self.store.location
        text = " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, (self.store.psycopg.OperationalError, self.store.psycopg.InterfaceError)):
            return StoreError(f"corrections store {location}: cannot reach the server or lost the connection "
                              f"({text}); {KEPT}; check the server and try again")
        return StoreError(f"corrections store {location}: {text}; {KEPT}")


STORES = (PostgresStore, SqliteStore)


def open_store(location: str | os.PathLike | None = None) -> CorrectionStore:
    """The store at ``location``: a ``postgresql://`` URL, a SQLite file path, or ``None`` for the default file."""
    location = str(location) if location else default_location()
    for kind in STORES:
        if kind.accepts(location):
            return kind(location)
    raise ValueError(f"store {location!r}: expected a file path or a postgresql:// URL")
