"""Export a trained Keras model to ONNX, and check the export against Keras's own outputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from digits.card import card_path, read_card, write_card
from digits.files import atomic_path
from digits.predict import KerasRecogniser, OnnxRecogniser

FORMATS = ("onnx",)


def export(model_path: str | os.PathLike, out: str | os.PathLike | None = None, format: str = "onnx",
           check_images: np.ndarray | None = None) -> dict:
    """Write ``model_path`` (``.keras``/``.h5``) as ONNX and compare the two on ``check_images``.

    Args:
        check_images: (N, 28, 28) float32 in [0, 1]; by default the first 2,000 MNIST test images.

    Returns:
        ``{"model", "out", "format", "images_checked", "max_abs_difference", "same_digits"}``.
    """
    if format not in FORMATS:
        raise ValueError(f"format {format!r}: choose one of {', '.join(FORMATS)}")
    model_path = Path(model_path)
    out = Path(out) if out else model_path.with_suffix(".onnx")
    if out.suffix != ".onnx":
        raise ValueError(f"output {out}: an ONNX file must end in .onnx")
    keras_model = KerasRecogniser(model_path)
    if check_images is None:
        from digits.data import load_mnist
        from digits.preprocess import scale_mnist

        _, (x_test, _) = load_mnist()
        check_images = scale_mnist(x_test[:2000])
    # Keras exports only models that have been called once.
    keras_model.model(np.zeros((1, *keras_model.input_shape), dtype=np.float32))
    with atomic_path(out) as temporary:
        keras_model.model.export(str(temporary), format="onnx", verbose=False)
    expected = keras_model.probabilities(check_images)
    received = OnnxRecogniser(out).probabilities(check_images)
    card = read_card(model_path)
    if card and card_path(out) != card_path(model_path):
        write_card(out, card)
    return {
        "model": str(model_path),
        "out": str(out),
        "format": format,
        "images_checked": int(len(check_images)),
        "max_abs_difference": float(np.abs(expected - received).max()),
        "same_digits": bool((expected.argmax(axis=1) == received.argmax(axis=1)).all()),
    }
