import numpy as np
import pytest

from digits.exporting import export


def test_export_matches_keras_and_reports_the_difference(tiny_keras_model, tmp_path):
    images = np.random.default_rng(5).random((32, 28, 28), dtype=np.float32)
    result = export(tiny_keras_model, tmp_path / "out.onnx", check_images=images)
    assert result["max_abs_difference"] < 1e-5 and result["same_digits"]
    assert result["images_checked"] == 32
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.onnx"]


def test_export_refuses_other_formats_and_names(tiny_keras_model, tmp_path):
    with pytest.raises(ValueError, match="choose one of onnx"):
        export(tiny_keras_model, format="tflite")
    with pytest.raises(ValueError, match="must end in .onnx"):
        export(tiny_keras_model, tmp_path / "out.bin")
