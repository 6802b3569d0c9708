"""Export a trained Keras model to ONNX or LiteRT, and check the export against Keras's own outputs.

ONNX files run everywhere ``digits`` does (``digits predict --model x.onnx``); LiteRT
(``.tflite``) files are for phones and microcontrollers, and are checked here with
LiteRT's interpreter (``ai_edge_litert`` when installed, else TensorFlow's ``tf.lite``).

``precision="int8"`` adds static quantisation with ONNX Runtime's tools: weights become
8-bit integers per output channel, activations 8-bit with ranges measured on calibration
images from the validation split (never the test set). On CPUs with 8-bit dot-product
instructions it runs about twice as fast as float32; a few borderline images may change
digit, and the check reports which.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from digits.card import card_path, read_card, write_card
from digits.files import atomic_path
from digits.recognisers import KERAS_SUFFIXES, SHIPPED_MODELS, KerasRecogniser, OnnxRecogniser
from digits.quiet import notices_dropped

SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}
FORMATS = tuple(SUFFIXES)
PRECISIONS = ("float32", "int8")
CALIBRATION_IMAGES = 2000


def default_images(part: str, count: int) -> np.ndarray:
    """``count`` MNIST images scaled to [0, 1]: the first of the test set, or spread over the validation split."""
    from digits.config import TrainConfig
    from digits.data import load_mnist
    from digits.preprocess import scale_mnist
    from digits.data import split

    (x_train, y_train), (x_test, _) = load_mnist()
    if part == "test":
        return scale_mnist(x_test[:count])
    _, (validation, _) = split(x_train, y_train, TrainConfig().validation_split)
    return scale_mnist(validation[np.linspace(0, len(validation) - 1, count).astype(int)])


def quantise(float_path: Path, out: Path, calibration_images: np.ndarray) -> None:
    """Write ``float_path`` as a statically quantised int8 ONNX model at ``out``."""
    import onnxruntime
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self, input_name: str, shape: tuple[int, ...]):
            self.batches = iter([{input_name: calibration_images[start:start + 100].reshape((-1, *shape))}
                                 for start in range(0, len(calibration_images), 100)])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        # Symbolic shape inference needs sympy; the model's shapes are static apart from the batch.
        quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
        model_input = onnxruntime.InferenceSession(str(prepared), providers=["CPUExecutionProvider"]).get_inputs()[0]
        shape = tuple(int(size) for size in model_input.shape[1:])
        with atomic_path(out) as temporary:
            quantize_static(str(prepared), str(temporary), Batches(model_input.name, shape),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            # The layers that carry the work; the softmax, averaging and
                            # temperature at the end stay float so confidences keep their detail.
                            op_types_to_quantize=["Conv", "Gemm", "MatMul"],
                            weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)


def litert_probabilities(path: Path, images: np.ndarray) -> np.ndarray:
    """Run a LiteRT model (batch of one, as Keras exports it) on (N, 28, 28) images."""
    import warnings

    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings(), notices_dropped():
        warnings.simplefilter("ignore")  # tf.lite's interpreter announces its own retirement
        interpreter = Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
    model_input, model_output = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    rows = []
    for image in np.asarray(images, dtype=np.float32):
        interpreter.set_tensor(model_input["index"], image.reshape(model_input["shape"]))
        interpreter.invoke()
        rows.append(interpreter.get_tensor(model_output["index"]).reshape(-1))
    return np.array(rows, dtype=np.float64)


def default_out(model_path: str | os.PathLike, format: str = "onnx", precision: str = "float32") -> Path:
    """``runs/best.keras`` → ``runs/best.onnx``; int8 → ``runs/best.int8.onnx``, beside the float32 file, not over it."""
    model_path = Path(model_path)
    return model_path.with_suffix((".int8" if precision == "int8" else "") + SUFFIXES[format])


def export(model_path: str | os.PathLike, out: str | os.PathLike | None = None, format: str = "onnx",
           check_images: np.ndarray | None = None, precision: str = "float32",
           calibration_images: np.ndarray | None = None) -> dict:
    """Write ``model_path`` (``.keras``/``.h5``) as ONNX and compare the two on ``check_images``.

    Args:
        format: ``"onnx"`` or ``"litert"`` (a ``.tflite`` file taking one image at a time).
        check_images: (N, 28, 28) float32 in [0, 1]; by default the first 2,000 MNIST test images.
        precision: ``"float32"``, or ``"int8"`` for a statically quantised ONNX model.
        calibration_images: for int8, (N, 28, 28) images whose activation ranges set the
            quantisation; by default 2,000 images spread over the validation split.

    Returns:
        ``{"model", "out", "format", "precision", "images_checked", "max_abs_difference",
        "same_digits", "different_digits"}``; ``different_digits`` lists the indices into
        ``check_images`` where the two give different digits.
    """
    if format not in FORMATS:
        raise ValueError(f"format {format!r}: choose one of {', '.join(FORMATS)}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    if precision == "int8" and format != "onnx":
        raise ValueError("precision int8: only ONNX exports are quantised; use --format onnx")
    suffix = SUFFIXES[format]
    model_path = Path(model_path)
    out = Path(out) if out else default_out(model_path, format, precision)
    if out.suffix != suffix:
        raise ValueError(f"output {out}: a {format} file must end in {suffix}")
    if not model_path.exists():
        raise FileNotFoundError(f"model {model_path}: no such file, and not a shipped model "
                                f"({', '.join(SHIPPED_MODELS)}); export one of those, or a model from `digits train`")
    if model_path.suffix not in KERAS_SUFFIXES:
        raise ValueError(f"model {model_path}: export reads a Keras model ({', '.join(KERAS_SUFFIXES)}), "
                         f"not {model_path.suffix or 'a file without a suffix'}")
    keras_model = KerasRecogniser(model_path)
    if check_images is None:
        check_images = default_images("test", 2000)
    # Keras exports only models that have been called once.
    keras_model.model(np.zeros((1, *keras_model.input_shape), dtype=np.float32))
    if precision == "int8":
        if calibration_images is None:
            calibration_images = default_images("validation", CALIBRATION_IMAGES)
        with tempfile.TemporaryDirectory() as folder:
            float_path = Path(folder) / "float32.onnx"
            keras_model.model.export(str(float_path), format="onnx", verbose=False)
            quantise(float_path, out, np.asarray(calibration_images, dtype=np.float32))
    else:
        with atomic_path(out) as temporary:
            keras_model.model.export(str(temporary), format=format, verbose=False)
    expected = keras_model.scores(check_images)
    if format == "litert":
        received = litert_probabilities(out, check_images)
        received = np.pad(received, ((0, 0), (0, expected.shape[1] - received.shape[1])))
    else:
        received = OnnxRecogniser(out).scores(check_images)
    card = read_card(model_path)
    if card and card_path(out) != card_path(model_path):
        write_card(out, card | {"precision": precision})
    different = np.flatnonzero(expected.argmax(axis=1) != received.argmax(axis=1))
    return {
        "model": str(model_path),
        "out": str(out),
        "format": format,
        "precision": precision,
        "images_checked": int(len(check_images)),
        "max_abs_difference": float(np.abs(expected - received).max()),
        "same_digits": bool(len(different) == 0),
        "different_digits": different.tolist(),
    }
