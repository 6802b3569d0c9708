"""The command line's edges: --version, `-` for standard input, and where an int8 export is written."""

import io
import json

import numpy as np
import pytest

from conftest import SAMPLES
from digits import __version__
from digits.cli import main
from digits.exporting import default_out, export


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and capsys.readouterr().out.strip() == f"digits {__version__}"


class Stdin:
    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)


def test_a_dash_reads_one_image_from_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", Stdin((SAMPLES / "seven-canvas.png").read_bytes()))
    assert main(["predict", "--json", "--workers", "1", "-", str(SAMPLES / "seven-canvas.png")]) == 0
    from_stdin, from_file = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert from_stdin["path"] == "-" and from_stdin["digit"] == 7
    assert {**from_stdin, "path": from_file["path"]} == from_file


def test_an_unreadable_standard_input_is_an_error_row_named_dash(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", Stdin(b"not an image"))
    assert main(["predict", "--workers", "1", "-"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: -") and "stdin" not in captured.err


def test_int8_is_written_beside_the_float32_export_not_over_it(tiny_keras_model, tiny_onnx_model):
    assert default_out("runs/best.keras").as_posix() == "runs/best.onnx"
    assert default_out("runs/best.keras", precision="int8").as_posix() == "runs/best.int8.onnx"
    float_bytes = tiny_onnx_model.read_bytes()
    images = np.random.default_rng(3).random((8, 28, 28), dtype=np.float32)
    result = export(tiny_keras_model, precision="int8", check_images=images, calibration_images=images)
    assert result["out"] == str(tiny_keras_model.with_name("tiny.int8.onnx"))
    assert tiny_onnx_model.read_bytes() == float_bytes


def test_a_reader_that_goes_away_gets_no_error_message():
    # `digits predict … | head -1`: the pipe closes before the answers are written. No
    # "Broken pipe" error and no traceback reach the terminal.
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "digits.cli", "predict", *[str(SAMPLES / "five-28x28.png")] * 3],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    error = process.stderr.read().decode()
    process.wait(timeout=120)
    process.stderr.close()
    assert "Broken pipe" not in error and "Traceback" not in error and "Exception" not in error
    assert process.returncode == 1


def test_python_dash_m_digits_is_the_digits_command():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "digits", "predict", str(SAMPLES / "five-28x28.png")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith(str(SAMPLES / "five-28x28.png") + ": 5 (")
