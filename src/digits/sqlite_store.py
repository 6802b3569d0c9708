"""Corrections in a SQLite file (``--store PATH``, and the default store)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from digits.corrections import Correction
from digits.stores import COLUMNS, DEFAULT_FILE_NAME, KEPT, StoreError, from_row, migrations, statements, to_row, where


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
