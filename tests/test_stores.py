"""Correction stores: SQLite and a real PostgreSQL server keep, list, export and delete corrections,
survive reopening, and lose nothing already stored when a write fails."""

import csv
import sqlite3

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLES
from digits.corrections import NOT_A_DIGIT, export_corrections, make_correction, model_sha256, parse_label
from digits.postgres_store import PostgresStore
from digits.recognisers import load_recogniser
from digits.preprocess import to_model_input
from digits.sqlite_store import SqliteStore
from digits.stores import StoreError, default_location, migrations, open_store


@pytest.fixture(scope="module")
def recogniser():
    return load_recogniser()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "corrections.db")
    return request.getfixturevalue("postgres_url")


def seven(recogniser, writer="alice", label=1, source="cli"):
    return make_correction((SAMPLES / "seven-canvas.png").read_bytes(), label, recogniser, source, writer)


def test_a_correction_records_what_the_model_saw_and_said(recogniser):
    data = (SAMPLES / "seven-canvas.png").read_bytes()
    correction = make_correction(data, 1, recogniser, "cli", "  alice ")
    assert correction.image == data
    np.testing.assert_array_equal(correction.model_input, to_model_input(data))
    assert correction.predicted == 7 and 0.5 < correction.confidence <= 1
    assert correction.model == "default.onnx" and correction.model_sha256 == model_sha256(recogniser.path)
    assert len(correction.model_sha256) == 64
    assert correction.writer == "alice" and correction.created_at.endswith("Z")


def test_a_blank_image_is_refused_with_a_reason(recogniser):
    with pytest.raises(ValueError, match="no ink the model could learn from"):
        make_correction((SAMPLES / "blank-canvas.png").read_bytes(), 3, recogniser, "cli")


@pytest.mark.parametrize("text, label", [("7", 7), (" 0 ", 0), ("not-a-digit", NOT_A_DIGIT), ("none", NOT_A_DIGIT),
                                         ("Not a digit", NOT_A_DIGIT)])
def test_labels_as_people_type_them(text, label):
    assert parse_label(text) == label


@pytest.mark.parametrize("text", ["11", "seven", "", "-1", "77"])
def test_a_bad_label_says_what_is_allowed(text):
    with pytest.raises(ValueError, match="expected a digit 0-9, or 'not-a-digit'"):
        parse_label(text)


def test_store_list_and_survive_reopening(recogniser, location):
    store = open_store(location)
    first = store.add(seven(recogniser))
    second = store.add(seven(recogniser, writer=None, label=NOT_A_DIGIT, source="page"))
    third = store.add(seven(recogniser, writer="bob", label=7, source="api"))
    assert first.id < second.id < third.id
    store.close()

    reopened = open_store(location)
    stored = reopened.corrections()
    assert [item.id for item in stored] == [first.id, second.id, third.id]
    assert [item.label for item in stored] == [1, NOT_A_DIGIT, 7]
    assert [item.writer for item in stored] == ["alice", None, "bob"]
    assert [item.source for item in stored] == ["cli", "page", "api"]
    original = seven(recogniser)
    assert stored[0].image == original.image
    np.testing.assert_array_equal(stored[0].model_input, original.model_input)
    assert stored[0].model_input.dtype == np.float32
    assert stored[0].predicted == original.predicted and stored[0].confidence == original.confidence
    assert stored[0].model_sha256 == original.model_sha256 and stored[0].created_at == first.created_at
    assert [item.id for item in reopened.corrections(writer="bob")] == [third.id]
    reopened.close()


def test_delete_by_id_and_by_writer(recogniser, location):
    store = open_store(location)
    kept = store.add(seven(recogniser, writer="bob"))
    ids = [store.add(seven(recogniser)).id for _ in range(3)]
    assert store.delete(ids=ids[:1]) == 1
    assert store.delete(writer="alice") == 2
    assert store.delete(ids=[12345]) == 0
    assert [item.id for item in store.corrections()] == [kept.id]
    with pytest.raises(ValueError, match="give ids or a writer"):
        store.delete()
    store.close()


def test_migrations_run_once(location):
    open_store(location).close()
    store = open_store(location)
    if isinstance(store, SqliteStore):
        with sqlite3.connect(location) as connection:
            versions = [row[0] for row in connection.execute("SELECT version FROM schema_version")]
    else:
        with store.transaction() as cursor:
            cursor.execute("SELECT version FROM schema_version")
            versions = [row[0] for row in cursor.fetchall()]
    assert versions == [version for version, _ in migrations()] == [1]
    store.close()


def test_export_is_a_data_set_of_pngs_and_labels(recogniser, location, tmp_path):
    store = open_store(location)
    store.add(seven(recogniser, label=1))
    store.add(seven(recogniser, label=NOT_A_DIGIT))
    result = export_corrections(store.corrections(), tmp_path / "set")
    assert result["count"] == 2 and result["labels"] == {"1": 1, "10": 1}
    with open(tmp_path / "set" / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["label"] for row in rows] == ["1", "10"]
    image = np.asarray(Image.open(tmp_path / "set" / rows[0]["file"]))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    np.testing.assert_allclose(image / 255, to_model_input((SAMPLES / "seven-canvas.png").read_bytes()), atol=1 / 255)
    original = Image.open(tmp_path / "set" / rows[0]["original"])
    assert original.format == "PNG" and original.size == Image.open(SAMPLES / "seven-canvas.png").size
    store.close()


def test_export_never_writes_into_a_folder_in_use(recogniser, tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="choose a new folder"):
        export_corrections([seven(recogniser)], tmp_path / "set")
    assert [path.name for path in (tmp_path / "set").iterdir()] == ["mine.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["set"]


def test_a_failed_export_leaves_no_folder(recogniser, tmp_path):
    broken = seven(recogniser)
    object.__setattr__(broken, "image", b"not an image")
    with pytest.raises(Exception):
        export_corrections([seven(recogniser), broken], tmp_path / "set")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_keeps_what_was_stored_and_says_so(recogniser, tmp_path, monkeypatch):
    path = tmp_path / "corrections.db"
    store = SqliteStore(path)
    kept = [store.add(seven(recogniser)).id for _ in range(2)]
    page_count = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    connect = store.connect

    def full_disk():
        # SQLite answers SQLITE_FULL ("database or disk is full") once the file may not grow.
        connection = connect()
        connection.execute(f"PRAGMA max_page_count = {page_count}")
        return connection

    monkeypatch.setattr(store, "connect", full_disk)
    with pytest.raises(StoreError, match="the disk is full .*nothing already stored was lost; free some space"):
        for _ in range(20):
            store.add(seven(recogniser))
    monkeypatch.undo()
    assert [item.id for item in SqliteStore(path).corrections()][:2] == kept
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my shopping list\n" * 100)
    with pytest.raises(StoreError, match="not a corrections database"):
        SqliteStore(path)
    assert path.read_text().startswith("my shopping list")


def test_a_lost_connection_keeps_what_was_stored_and_reconnects(recogniser, postgres_url):
    import psycopg

    store = PostgresStore(postgres_url)
    kept = store.add(seven(recogniser))
    with store.transaction() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (backend,))
    with pytest.raises(StoreError, match="lost the connection .*nothing already stored was lost"):
        store.add(seven(recogniser))
    # The next call opens a new connection.
    again = store.add(seven(recogniser))
    assert [item.id for item in store.corrections()] == [kept.id, again.id]
    store.close()


def test_an_unreachable_server_is_one_line(postgres_server):
    from postgres_server import free_port

    with pytest.raises(StoreError, match=r"cannot reach the server .*check the server and try again") as caught:
        PostgresStore(f"postgresql://digits:secret@127.0.0.1:{free_port()}/nothing", connect_timeout=2)
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_the_default_store_follows_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_location() == str(tmp_path / "data" / "digits" / "corrections.db")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_location() == str(tmp_path / ".local" / "share" / "digits" / "corrections.db")


def test_a_folder_is_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="is a folder; give a file name"):
        open_store(tmp_path)


def test_a_server_out_of_disk_is_said_as_such(recogniser, postgres_url, monkeypatch):
    import psycopg

    store = PostgresStore(postgres_url)
    kept = store.add(seven(recogniser))
    real_cursor = psycopg.Connection.cursor

    class FullDisk:
        """A cursor whose INSERT fails as PostgreSQL fails when its disk is full (SQLSTATE 53100)."""

        def __init__(self, cursor):
            self.cursor = cursor

        def execute(self, query, *rest):
            if query.startswith("INSERT"):
                raise psycopg.errors.DiskFull("could not extend file: No space left on device")
            return self.cursor.execute(query, *rest)

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    monkeypatch.setattr(psycopg.Connection, "cursor", lambda self, *a, **k: FullDisk(real_cursor(self, *a, **k)))
    with pytest.raises(StoreError, match="out of disk or memory .*nothing already stored was lost"):
        store.add(seven(recogniser))
    monkeypatch.undo()
    assert [item.id for item in PostgresStore(postgres_url).corrections()] == [kept.id]


def test_a_new_migration_is_applied_once_to_an_existing_store(recogniser, location, tmp_path, monkeypatch):
    import digits.stores

    kept = open_store(location).add(seven(recogniser))
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in digits.stores.MIGRATIONS_DIR.glob("*.sql"):
        (folder / path.name).write_text(path.read_text())
    (folder / "0002_notes.sql").write_text("-- a later change\nALTER TABLE corrections ADD COLUMN note TEXT;\n")
    monkeypatch.setattr(digits.stores, "MIGRATIONS_DIR", folder)
    store = open_store(location)
    open_store(location).close()  # a second opening finds version 2 and changes nothing
    assert [item.id for item in store.corrections()] == [kept.id]
    assert [version for version, _ in migrations()] == [1, 2]
    if isinstance(store, SqliteStore):
        with sqlite3.connect(location) as connection:
            versions = [row[0] for row in connection.execute("SELECT version FROM schema_version ORDER BY version")]
            columns = [row[1] for row in connection.execute("PRAGMA table_info(corrections)")]
    else:
        with store.transaction() as cursor:
            cursor.execute("SELECT version FROM schema_version ORDER BY version")
            versions = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'corrections'")
            columns = [row[0] for row in cursor.fetchall()]
    assert versions == [1, 2] and "note" in columns
    store.close()
