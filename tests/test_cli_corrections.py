"""`digits correct`, `digits corrections list|export|delete` and `digits tune`'s refusals, through ``cli.main``,
on SQLite and on a real PostgreSQL server."""

import csv
import json

import numpy as np
import pytest

from conftest import SAMPLES
from digits.cli import main
from digits.stores import open_store

SEVEN = str(SAMPLES / "seven-canvas.png")
THREE = str(SAMPLES / "three-on-paper.jpg")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "corrections.db")
    return request.getfixturevalue("postgres_url")


def run(capsys, *arguments):
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_correct_stores_the_label_and_what_the_model_said(capsys, store):
    code, out, err = run(capsys, "correct", SEVEN, "1", "--writer", "ann", "--store", store)
    assert code == 0, err
    assert "is 1 (the model said 7" in out
    code, out, _ = run(capsys, "correct", THREE, "--not-a-digit", "--store", store, "--json")
    answer = json.loads(out)
    assert answer["label"] == 10 and answer["not_a_digit"] and answer["predicted"] == 3
    assert answer["writer"] is None and answer["source"] == "cli" and len(answer["model_sha256"]) == 64

    # A new process would see the same: the store is opened again from its location.
    stored = open_store(store).corrections()
    assert [(item.label, item.writer, item.source) for item in stored] == [(1, "ann", "cli"), (10, None, "cli")]
    assert stored[0].image == open(SEVEN, "rb").read()

    code, out, err = run(capsys, "corrections", "list", "--store", store)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and "2 correction(s)" in err
    assert lines[0].split("\t")[:2] == [str(stored[0].id), "1"] and "ann" in lines[0]
    assert "not a digit" in lines[1] and "model said 3" in lines[1]
    code, out, _ = run(capsys, "corrections", "list", "--writer", "ann", "--store", store, "--json")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [stored[0].id]


def test_export_then_delete(capsys, store, tmp_path):
    for digit in ("1", "2"):
        assert run(capsys, "correct", SEVEN, digit, "--writer", "ann", "--store", store)[0] == 0
    assert run(capsys, "correct", SEVEN, "4", "--store", store)[0] == 0
    code, out, _ = run(capsys, "corrections", "export", str(tmp_path / "set"), "--writer", "ann", "--store", store,
                       "--json")
    assert code == 0 and json.loads(out)["count"] == 2
    with open(tmp_path / "set" / "labels.csv", newline="") as handle:
        assert [row["label"] for row in csv.DictReader(handle)] == ["1", "2"]
    code, _, err = run(capsys, "corrections", "export", str(tmp_path / "set"), "--store", store)
    assert code == 1 and err.count("\n") == 1 and "choose a new folder" in err

    first = open_store(store).corrections()[0].id
    code, out, _ = run(capsys, "corrections", "delete", str(first), "--store", store)
    assert code == 0 and out.strip() == "deleted 1 correction(s)"
    code, out, _ = run(capsys, "corrections", "delete", "--writer", "ann", "--store", store)
    assert out.strip() == "deleted 1 correction(s)"
    assert [item.label for item in open_store(store).corrections()] == [4]


@pytest.mark.parametrize("arguments, words", [
    (["correct", SEVEN, "12"], "label '12': expected a digit 0-9, or 'not-a-digit'"),
    (["correct", "missing.png", "3"], "missing.png: no such file"),
    (["correct", str(SAMPLES / "blank-canvas.png"), "3"], "no ink the model could learn from"),
    (["correct", SEVEN, "1", "--not-a-digit"], "give the right DIGIT (0-9), or --not-a-digit, not both"),
    (["correct", SEVEN], "give the right DIGIT (0-9), or --not-a-digit, not both"),
    (["corrections", "delete"], "give the ids to delete"),
    (["tune", "--writer", "ann"], "writer 'ann' has 0 correction(s); tuning needs at least 10"),
    (["tune", "--writer", "ann", "--out", "me.keras"], "a personal model is an .onnx file"),
])
def test_bad_input_is_one_line_saying_what_to_do(capsys, tmp_path, arguments, words):
    code, _, err = run(capsys, *arguments, "--store", str(tmp_path / "corrections.db"))
    assert code in (1, 2) and words in err and err.count("\n") == 1 and "Traceback" not in err


def test_tune_refuses_too_few_corrections_before_loading_anything(capsys, tmp_path):
    store = str(tmp_path / "corrections.db")
    for digit in "0123":
        run(capsys, "correct", SEVEN, digit, "--writer", "ann", "--store", store)
    code, _, err = run(capsys, "tune", "--writer", "ann", "--store", store, "--out", str(tmp_path / "ann.onnx"))
    assert code == 1 and "has 4 correction(s); tuning needs at least 10" in err and "make 6 more" in err
    assert not (tmp_path / "ann.onnx").exists()


def test_an_unreachable_postgresql_store_is_one_line(capsys):
    code, _, err = run(capsys, "corrections", "list", "--store", "postgresql://nobody:secret@127.0.0.1:1/none")
    assert code == 1 and "cannot reach the server" in err and "secret" not in err and err.count("\n") == 1


def test_the_default_store_is_under_xdg_data_home(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["correct", SEVEN, "1"]) == 0
    assert (tmp_path / "digits" / "corrections.db").exists()
    assert len(open_store(None).corrections()) == 1


def test_correct_tune_then_predict_with_the_personal_model_by_name(capsys, tmp_path, monkeypatch, mnist):
    """The whole path through the command line, on a tiny setting (300 MNIST images, one epoch)."""
    import digits.data
    from PIL import Image
    from test_tuning import MISREAD

    (x_train, y_train), (x_test, y_test) = mnist
    monkeypatch.setattr(digits.data, "load_mnist", lambda: ((x_train[:300], y_train[:300]), (x_test[:300], y_test[:300])))
    monkeypatch.chdir(tmp_path)
    store = str(tmp_path / "corrections.db")
    for index, label in MISREAD.items():
        for shift in (0, 1, -1):
            path = tmp_path / f"{index}-{shift}.png"
            Image.fromarray(np.roll(x_test[index], shift, axis=1)).save(path)
            assert run(capsys, "correct", str(path), str(label), "--writer", "ann", "--store", store)[0] == 0
    code, out, err = run(capsys, "tune", "--writer", "ann", "--store", store, "--epochs", "1", "3",
                         "--learning-rates", "3e-4", "--folds", "2", "--mnist-images", "64",
                         "--correction-share", "0.6", "--batch-size", "16", "--max-mnist-drop", "0.04", "--json")
    assert code == 0, err
    card = json.loads(out)
    assert card["writer"] == "ann" and card["corrections"]["count"] == 12 and card["model"] == "ann.onnx"
    assert (tmp_path / "runs" / "ann.onnx").exists()
    code, out, _ = run(capsys, "predict", "--model", "ann", "--json", str(tmp_path / "449-0.png"))
    assert code == 0 and json.loads(out)["digit"] == 3
    code, out, _ = run(capsys, "predict", "--json", str(tmp_path / "449-0.png"))
    assert json.loads(out)["digit"] == 5
