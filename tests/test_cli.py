import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import SAMPLES
from digits.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_predict_prints_one_line_per_image(capsys):
    code, out, _ = run(capsys, "predict", str(SAMPLES / "five-28x28.png"), str(SAMPLES / "blank-canvas.png"))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith(f"{SAMPLES / 'five-28x28.png'}: 5 (") and lines[0].endswith("%)")
    assert lines[1].startswith(f"{SAMPLES / 'blank-canvas.png'}: no digit: ")  # the reason follows, unbracketed


def test_predict_json_and_exit_code_on_a_bad_file(capsys, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("hello")
    code, out, _ = run(capsys, "predict", "--json", str(bad), str(SAMPLES / "seven-canvas.png"),
                       str(SAMPLES / "blank-canvas.png"))
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert records[0]["path"] == str(bad) and "not an image" in records[0]["error"]
    assert records[1]["digit"] == 7 and len(records[1]["probabilities"]) == 10
    assert records[2]["digit"] is None and records[2]["reason"]


def test_predict_hints_at_number_for_an_image_of_several_digits(capsys, tmp_path):
    # Without --number, a photo of "70" was only "this does not look like a digit".
    from conftest import draw_digit

    pair = tmp_path / "pair.png"
    Image.fromarray(255 - np.hstack([draw_digit(7, 112), draw_digit(0, 112)])).save(pair)
    code, out, err = run(capsys, "predict", str(pair), str(SAMPLES / "five-28x28.png"))
    assert code == 0 and len(out.splitlines()) == 2
    assert err.strip() == f"hint: {pair} holds several digits side by side; to read it as a whole number, add --number"
    # A page's printed heading is several marks side by side, but no number.
    heading = tmp_path / "heading.png"
    page = Image.new("L", (600, 300), 250)
    ImageDraw.Draw(page).text((40, 30), "Monthly reading", fill=10, font_size=40)
    page.save(heading)
    _, _, err = run(capsys, "predict", str(heading))
    assert "hint" not in err
    _, _, err = run(capsys, "predict", "--number", str(pair))
    assert "hint" not in err


def test_predict_top_k(capsys):
    _, out, _ = run(capsys, "predict", "--top", "3", str(SAMPLES / "three-on-paper.jpg"))
    assert out.count("%") == 3


def test_predict_refuses_flags_it_would_otherwise_ignore(capsys):
    image = str(SAMPLES / "three-on-paper.jpg")
    # --top ranks answers in text; JSON and CSV always hold all ten probabilities.
    for output in (["--json"], ["--format", "csv"]):
        code, out, err = run(capsys, "predict", "--top", "3", *output, image)
        assert code == 2 and out == "" and err.count("\n") == 1 and "--top" in err
    code, out, err = run(capsys, "predict", "--json", "--format", "text", image)
    assert code == 2 and out == "" and "two formats" in err
    code, out, _ = run(capsys, "predict", "--json", "--format", "json", image)
    assert code == 0 and out.startswith("{")


@pytest.mark.parametrize("count", ["0", "11", "three"])
def test_predict_top_outside_one_to_ten_is_refused(capsys, count):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--top", count, str(SAMPLES / "five-28x28.png")])
    assert exit_info.value.code == 2 and "give 1 to 10" in capsys.readouterr().err


def test_predict_with_a_missing_model_is_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "predict", "--model", str(tmp_path / "nope.onnx"), str(SAMPLES / "five-28x28.png"))
    assert code == 1 and out == ""
    assert err.startswith("digits: error: model") and err.count("\n") == 1


def test_evaluate_json(capsys, mnist, tiny_onnx_model):
    code, out, _ = run(capsys, "evaluate", "--json")
    result = json.loads(out)
    assert code == 0 and result["samples"] == 10000 and result["accuracy"] > 0.99
    assert result["errors"] == round((1 - result["accuracy"]) * 10000)
    assert len(result["per_class_accuracy"]) == 10 and "loss" in result
    _, out, _ = run(capsys, "evaluate", "--model", str(tiny_onnx_model))
    assert "test accuracy" in out and "per class" in out


def test_show_prints_the_label_and_writes_a_png(capsys, mnist, tmp_path):
    out_file = tmp_path / "five.png"
    code, out, _ = run(capsys, "show", "--index", "35", "--out", str(out_file))
    assert code == 0 and out.splitlines()[0] == "5"
    assert Image.open(out_file).format == "PNG"
    preview = out.splitlines()[2:]
    assert len(preview) >= 20 and any("@" in line for line in preview)


def test_show_grid(capsys, mnist, tmp_path):
    code, out, _ = run(capsys, "show", "--split", "test", "--grid", "2x3", "--out", str(tmp_path / "grid.png"))
    assert code == 0 and out.splitlines()[1] == "7 2 1" and out.splitlines()[2] == "0 4 1"
    code, _, err = run(capsys, "show", "--grid", "two")
    assert code == 1 and "ROWSxCOLS" in err


def test_data_json(capsys, mnist):
    code, out, _ = run(capsys, "data", "--json")
    info = json.loads(out)
    assert code == 0 and info["train"]["images"] == 60000 and info["test"]["label_counts"][0] == 980


def test_train_json_on_tiny_data(capsys, tmp_path, tiny_arrays, monkeypatch):
    import digits.data

    # `digits train` reads MNIST through digits.data on a thread while TensorFlow imports.
    monkeypatch.setattr(digits.data, "load_mnist", lambda: tiny_arrays)
    out_path = tmp_path / "cli.keras"
    code, out, _ = run(capsys, "train", "--preset", "fast", "--epochs", "1", "--batch-size", "100",
                       "--ink-augment", "0.3", "--elastic", "0.2", "--out", str(out_path), "--json")
    card = json.loads(out)
    assert code == 0 and out_path.exists()
    assert card["config"]["epochs"] == 1 and card["config"]["batch_size"] == 100 and card["config"]["preset"] == "fast"
    # Flags override the preset's fields; the others keep the preset's values.
    assert card["config"]["ink_augment"] == 0.3 and card["config"]["augment"] == 0.0
    assert card["config"]["elastic"] == 0.2 and card["config"]["validate_every_epoch"] is False


def test_unknown_preset_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--preset", "huge"])
    assert raised.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_evaluate_and_predict_take_a_model_saved_by_the_tutorials_code(capsys, mnist, tmp_path):
    from test_model import tutorial_as_written

    model = tutorial_as_written()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    path = tmp_path / "test_model.h5"
    model.save(path)
    code, out, _ = run(capsys, "evaluate", "--json", "--model", str(path))
    result = json.loads(out)
    assert code == 0 and result["samples"] == 10000 and 0 <= result["accuracy"] <= 1
    code, out, _ = run(capsys, "predict", "--json", "--model", str(path), str(SAMPLES / "five-28x28.png"))
    assert code == 0 and len(json.loads(out)["probabilities"]) == 10


def test_predict_text_errors_go_to_stderr_and_names_stay_on_one_line(capsys, tmp_path):
    import shutil

    odd = tmp_path / "two\nlines.png"
    shutil.copy(SAMPLES / "five-28x28.png", odd)
    bad = tmp_path / "bad\x1b[2J.png"
    bad.write_text("hello")
    code, out, err = run(capsys, "predict", str(odd), str(bad))
    assert code == 1
    assert out.splitlines() == [out.rstrip("\n")] and out.startswith(str(tmp_path / "two\\nlines.png: 5 ("))
    assert err.count("\n") == 1 and "\x1b" not in err and "bad\\x1b[2J.png" in err and "not an image" in err


def test_predict_an_empty_folder_or_unmatched_glob_is_an_error(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "predict", str(tmp_path / "empty"), str(tmp_path / "*.jpg"))
    assert code == 1 and out == ""
    assert "no PNG, JPEG, BMP, GIF, WebP or TIFF files in this folder" in err
    assert "no file matches this pattern" in err and err.count("\n") == 2


def test_predict_hostile_files_among_good_ones_are_error_rows(capsys, tmp_path):
    import io

    spider = io.BytesIO()
    Image.new("F", (28, 28)).save(spider, format="SPIDER")
    (tmp_path / "spider.png").write_bytes(spider.getvalue())
    (tmp_path / "fuzzed.tif").write_bytes(tiff_with_rational_strip_offsets())
    (tmp_path / "huge.png").write_bytes(encoded_png(Image.new("1", (12000, 12000))))
    good = [str(SAMPLES / "five-28x28.png"), str(SAMPLES / "seven-canvas.png")]
    code, out, err = run(capsys, "predict", "--json", good[0], str(tmp_path / "spider.png"),
                         str(tmp_path / "fuzzed.tif"), str(tmp_path / "huge.png"), good[1])
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(records) == 5
    assert records[0]["digit"] == 5 and records[4]["digit"] == 7
    assert "not an image" in records[1]["error"] and "error" in records[2]
    assert "over the limit of 40,000,000 pixels" in records[3]["error"]


def tiff_with_rational_strip_offsets():
    """A TIFF whose StripOffsets tag claims the RATIONAL type: Pillow's decoder raises TypeError on it."""
    import io
    import struct

    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    directory = struct.unpack("<I", data[4:8])[0]
    for entry in range(struct.unpack("<H", data[directory:directory + 2])[0]):
        start = directory + 2 + 12 * entry
        if struct.unpack("<H", data[start:start + 2])[0] == 273:
            data[start + 2:start + 4] = struct.pack("<H", 5)
    return bytes(data)


def encoded_png(image):
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_data_json_is_only_json_while_fetching(capsys, monkeypatch, tmp_path, tiny_arrays):
    from digits import data
    from test_data import small_expected

    def noisy_source():
        print("Downloading data from https://storage.googleapis.com/... 11490434/11490434")
        return tiny_arrays

    monkeypatch.setenv("DIGITS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(data, "EXPECTED", small_expected(tiny_arrays))
    monkeypatch.setattr(data, "sources", lambda: [("noisy source", noisy_source)])
    code, out, err = run(capsys, "data", "--json")
    assert code == 0 and json.loads(out)["train"]["images"] == 300 and "Downloading" in err


@pytest.mark.parametrize("flags", [["--epochs", "0"], ["--epochs", "-1"], ["--learning-rate", "nan"],
                                   ["--learning-rate", "0"], ["--learning-rate", "-1"], ["--batch-size", "0"],
                                   ["--out", "m.txt"]])
def test_train_refuses_bad_settings_at_once(capsys, tmp_path, monkeypatch, flags):
    import digits.data

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(digits.data, "load_mnist", lambda: pytest.fail("training started"))
    (tmp_path / "m.keras").write_text("the previous model")
    code, out, err = run(capsys, "train", "--preset", "fast", "--out", "m.keras", *flags)
    assert code == 2 and out == "" and err.startswith("digits train: error: ") and err.count("\n") == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.keras"]
    assert (tmp_path / "m.keras").read_text() == "the previous model"


def test_train_a_nan_loss_is_one_line_and_exit_1(capsys, tmp_path, tiny_arrays, monkeypatch):
    import digits.data

    # `digits train` reads MNIST through digits.data on a thread while TensorFlow imports.
    monkeypatch.setattr(digits.data, "load_mnist", lambda: tiny_arrays)
    out_path = tmp_path / "cli.keras"
    code, out, err = run(capsys, "train", "--preset", "fast", "--epochs", "2", "--batch-size", "32",
                         "--learning-rate", "1e38", "--out", str(out_path), "--json")
    assert code == 1 and out == "" and not out_path.exists()
    assert err.startswith("digits: error: training stopped: the loss became nan") and err.count("\n") == 1


def test_train_resume_and_restart_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--resume", "--restart"])
    assert raised.value.code == 2 and "not allowed with" in capsys.readouterr().err
