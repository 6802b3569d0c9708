import csv
import io
import shutil

import pytest

from conftest import SAMPLES
from digits.batch import PARALLEL_THRESHOLD, csv_header, csv_line, expand, recognise_paths
from digits.predict import load_recogniser


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
    text = "\n".join([csv_header(), *(csv_line(p) for p in recognise_paths(paths, recogniser, workers=1))])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["digit"] for row in rows] == ["5", "", ""]
    assert float(rows[0]["p5"]) == float(rows[0]["confidence"])
    assert rows[1]["reason"].startswith("no ink") and "not an image" in rows[2]["error"]
