import csv
import io
import shutil

import pytest

from conftest import SAMPLES
from digits.batch import PARALLEL_THRESHOLD, csv_header, csv_line, expand, recognise_paths
from digits.recognisers import load_recogniser


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A folder tree of sample copies, a broken file and a text file that is not an image."""
    root = tmp_path_factory.mktemp("batch")
    (root / "b").mkdir()
    for index in range(PARALLEL_THRESHOLD + 6):
        sample = ["five-28x28.png", "seven-canvas.png", "three-on-paper.jpg"][index % 3]
        shutil.copy(SAMPLES / sample, root / ("b" if index % 2 else ".") / f"{index:03d}-{sample}")
    (root / "b" / "050-broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (root / "notes.txt").write_text("not an image")
    return root


def test_expand_walks_folders_globs_and_passes_missing_paths_on(folder):
    paths = list(expand([str(folder)]))
    assert len(paths) == PARALLEL_THRESHOLD + 7 and not any(path.endswith(".txt") for path in paths)
    assert paths == sorted(paths, key=lambda path: ("/b/" in path, path))
    assert len(list(expand([str(folder / "**" / "*.jpg")]))) == len([p for p in paths if p.endswith(".jpg")])
    assert list(expand(["missing/*.png", "gone.png"])) == ["missing/*.png", "gone.png"]


def test_parallel_and_serial_decoding_agree_in_order(folder):
    recogniser = load_recogniser()
    paths = list(expand([str(folder)]))
    serial = [p.to_dict() for p in recognise_paths(paths, recogniser, workers=1)]
    parallel = [p.to_dict() for p in recognise_paths(paths, recogniser, workers=2, chunk_size=32)]
    assert serial == parallel
    assert [record["path"] for record in parallel] == paths
    broken = [record for record in parallel if "error" in record]
    assert len(broken) == 1 and broken[0]["path"].endswith("050-broken.png")
    expected = {"five": 5, "seven": 7, "three": 3}
    for record in parallel:
        if "error" not in record:
            name = next(name for name in expected if name in record["path"].rsplit("/", 1)[-1])
            assert record["digit"] == expected[name]


def test_csv_rows_parse_back(folder):
    recogniser = load_recogniser()
    paths = [str(SAMPLES / "five-28x28.png"), str(SAMPLES / "blank-canvas.png"), str(folder / "notes.txt")]
    predictions = list(recognise_paths(paths, recogniser, workers=1))
    text = "\n".join([csv_header(), *(csv_line(p) for p in predictions)])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["digit"] for row in rows] == ["5", "", ""]
    # The "not a digit" probability as in the JSON: empty where no ink reached the model.
    assert [row["not_a_digit"] for row in rows] == [
        "" if prediction.not_a_digit is None else str(prediction.not_a_digit) for prediction in predictions]
    assert rows[0]["not_a_digit"] != "" and float(rows[0]["not_a_digit"]) < 0.5
    # Booleans as the JSON writes them: an answer, even "no digit", is flagged or not; an error row is not.
    assert [row["low_confidence"] for row in rows] == ["false", "false", ""]
    assert float(rows[0]["p5"]) == float(rows[0]["confidence"])
    assert rows[1]["reason"].startswith("no ink") and "not an image" in rows[2]["error"]


def kill_on(path):
    """A prepare step whose worker process dies (as under the OOM killer) on files named *kill*."""
    import os
    import signal

    from digits.predict import prepare

    if "kill" in os.path.basename(path):
        marker = path + ".killed"
        if "always" in path or not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
    return prepare(path)


def raise_on(path):
    """A prepare step that trips over one file as Pillow's decoders do on fuzzed input."""
    if "trips" in path:
        raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")
    from digits.predict import prepare

    return prepare(path)


@pytest.fixture
def many(tmp_path):
    """PARALLEL_THRESHOLD + 8 copies of a five, enough for the process pool."""
    paths = []
    for index in range(PARALLEL_THRESHOLD + 8):
        path = tmp_path / f"{index:03d}-five.png"
        shutil.copy(SAMPLES / "five-28x28.png", path)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("when", ["once", "always"])
def test_a_killed_worker_costs_at_most_the_file_it_held(many, when):
    killer = many[20].replace("five.png", f"kill-{when}.png")
    shutil.move(many[20], killer)
    paths = [*many[:20], killer, *many[21:]]
    records = [p.to_dict() for p in recognise_paths(paths, load_recogniser(), workers=2,
                                                   prepare=kill_on)]
    assert [record["path"] for record in records] == paths
    others = [record for record in records if record["path"] != killer]
    assert all(record.get("digit") == 5 for record in others)
    killed = records[20]
    if when == "once":
        assert killed["digit"] == 5
    else:
        assert "process decoding it died" in killed["error"]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_exception_on_one_file_is_that_files_error_row(many, workers):
    trips = many[3].replace("five.png", "trips.png")
    shutil.move(many[3], trips)
    paths = [*many[:3], trips, *many[4:]]
    records = [p.to_dict() for p in recognise_paths(paths, load_recogniser(), workers=workers, prepare=raise_on)]
    assert records[3] == {"path": trips, "error": f"{trips}: cannot read it (TypeError: unsupported operand "
                                                  f"type(s) for +: 'NoneType' and 'int')"}
    assert sum(record.get("digit") == 5 for record in records) == len(paths) - 1


def test_empty_folders_and_globs_matching_nothing_are_reported(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "notes.txt").write_text("no images here")
    items = [str(tmp_path / "empty"), str(tmp_path / "text"), str(tmp_path / "*.png")]
    expanded = list(expand(items))
    assert expanded == items
    records = [p.to_dict() for p in recognise_paths(expanded, load_recogniser(), workers=1)]
    assert [record["error"].split(": ", 1)[1] for record in records] == [
        "no PNG, JPEG, BMP, GIF, WebP or TIFF files in this folder",
        "no PNG, JPEG, BMP, GIF, WebP or TIFF files in this folder",
        "no file matches this pattern"]
    number = [p.to_dict() for p in recognise_paths(expanded, load_recogniser(), number=True)]
    assert [record["error"] for record in number] == [record["error"] for record in records]


def test_a_pipe_in_a_folder_is_an_error_row_not_a_hang(tmp_path):
    import os
    import signal

    shutil.copy(SAMPLES / "five-28x28.png", tmp_path / "a.png")
    os.mkfifo(tmp_path / "b.png")
    signal.alarm(20)  # on failure, end the test instead of waiting for a writer for ever
    try:
        records = [p.to_dict() for p in recognise_paths(expand([str(tmp_path)]), load_recogniser(), workers=1)]
    finally:
        signal.alarm(0)
    assert records[0]["digit"] == 5 and "not a regular file" in records[1]["error"]


def test_control_characters_in_names_stay_on_one_line():
    from digits.batch import printable
    from digits.predict import Prediction

    prediction = Prediction(path="two\nlines\x1b[31m.png", error="two\nlines\x1b[31m.png: not an image")
    row = csv_line(prediction)
    assert "\n" not in row and "\x1b" not in row and row.startswith("two\\nlines\\x1b[31m.png,")
    assert printable("caf\u00e9 \udcff\u2028") == "caf\u00e9 \\udcff\\u2028"
