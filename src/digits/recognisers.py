"""Load a model and run it: ONNX files on ONNX Runtime, ``.keras`` and ``.h5`` files through Keras.

ONNX models never import TensorFlow or Keras. A ``.keras`` or ``.h5`` model (including one
saved by the tutorial's own code) loads through Keras. Every recogniser gives the same
scores: ten digits' probabilities and an eleventh, "not a digit" (0 for a model without it).
A model is refused when it is loaded, naming its file, unless it answers a blank image.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from digits.card import CardError, read_card

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS_DIR / "default.onnx"
# Models that ship with the package, by name: `default`, chosen on validation within an
# inference budget, and `accurate`, the most accurate on validation whatever its cost.
SHIPPED_MODELS = ("default", "accurate")
# Where `digits tune` writes personal models by default; `--model NAME` finds NAME.onnx here.
PERSONAL_MODELS_DIR = Path("runs")
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
# Outputs per image a model may give: the ten digits, or the ten and "not a digit".
OUTPUT_COUNTS = (10, 11)


class Recogniser:
    """A loaded model: ``scores(images)`` maps (N, 28, 28) float32 to (N, 11) float64.

    Columns 0-9 are the digits' probabilities and column 10 the probability that the image
    is not a digit at all (always 0 for a model with ten outputs). ``probabilities(images)``
    gives the ten digits' alone, renormalised, as MNIST's scores need them.
    """

    # Images per model call: large enough to amortise the call, small enough to stay in cache.
    chunk_size = 256

    def __init__(self, path: Path):
        self.path = path
        self.card = read_card(path)

    def run(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def scores(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"images of shape {images.shape}: expected (N, 28, 28)")
        outputs = [self.run(images[start:start + self.chunk_size].reshape((-1, *self.input_shape)))
                   for start in range(0, len(images), self.chunk_size)]
        result = np.concatenate(outputs) if outputs else np.zeros((0, 10), dtype=np.float32)
        result = as_probabilities(result.astype(np.float64))
        if result.shape[1] == 10:
            result = np.concatenate([result, np.zeros((len(result), 1))], axis=1)
        return result

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        digits = self.scores(images)[:, :10]
        with np.errstate(invalid="ignore", divide="ignore"):
            return digits / digits.sum(axis=1, keepdims=True)


class OnnxRecogniser(Recogniser):
    # Measured on 2 cores with the shipped int8 models (images/s, default / accurate):
    # 32: 39,100 / 13,900; 64: 40,300 / 12,600; 128: 38,400 / 11,600; 256: 35,700 / 10,900.
    chunk_size = 64

    def __init__(self, path: Path, threads: int | None = None):
        super().__init__(path)
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # On a 2-core machine two threads double a float32 model's throughput over one (an int8
        # model gains little, but loses nothing); more only add scheduling for so small a net.
        # Full graph optimisation (blocked layouts, fused quantised convolutions) pays for both.
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            model_input = self.session.get_inputs()[0]
            self.input_name = model_input.name
            self.input_shape = tuple(int(size) for size in model_input.shape[1:])
        # ONNX Runtime raises its own exception types (corrupt protobuf, bad graph), none a ValueError.
        except Exception as error:
            raise ValueError(f"model {path}: ONNX Runtime cannot load it ({first_line_of(error)}); "
                             f"export it again with `digits export`") from None

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: batch})[0]


class KerasRecogniser(Recogniser):
    def __init__(self, path: Path):
        super().__init__(path)
        from digits.quiet import import_keras_quietly

        keras = import_keras_quietly()
        import digits.model  # noqa: F401  (registers the project's custom layers for loading)

        self.model = keras.saving.load_model(path, compile=False)
        self.input_shape = tuple(int(size) for size in self.model.input_shape[1:])

    def run(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(batch))


def as_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Rows that already are probabilities stay; anything else (logits) goes through softmax."""
    outputs = outputs.reshape(len(outputs), -1)
    if outputs.shape[1] not in OUTPUT_COUNTS:
        raise ValueError(f"model gives {outputs.shape[1]} outputs per image, expected 10 (or 11 with 'not a digit')")
    is_probability = (outputs >= 0).all() and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3)
    if is_probability or len(outputs) == 0:
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def model_path(model: str | os.PathLike | None, suffix: str = ".onnx") -> Path:
    """The file for ``model``: a path, a shipped model's name (its ``suffix`` file), a personal model's
    name (``runs/NAME.onnx``, as ``digits tune`` writes it), or ``None`` for the default."""
    if model is None:
        return DEFAULT_MODEL.with_suffix(suffix)
    if str(model) in SHIPPED_MODELS:
        return (MODELS_DIR / str(model)).with_suffix(suffix)
    personal = PERSONAL_MODELS_DIR / f"{model}{suffix}"
    if is_bare_name(str(model)) and not Path(model).exists() and personal.exists():
        return personal
    return Path(model)


def is_bare_name(name: str) -> bool:
    """A model's name rather than a path: no folder, no suffix (``me``, not ``runs/me.onnx``)."""
    return bool(name) and "/" not in name and "\\" not in name and not Path(name).suffix and not name.startswith(".")


def personal_models(folder: Path | None = None) -> dict[str, Path]:
    """The personal models ``digits tune`` wrote into ``folder`` (default ``runs/``), by name: ``.onnx`` files
    whose card says ``"personal": true``."""
    found = {}
    for path in sorted((folder or PERSONAL_MODELS_DIR).glob("*.onnx")):
        try:
            card = read_card(path)
        except CardError:
            continue
        if card.get("personal") and is_bare_name(path.stem):
            found[path.stem] = path
    return found


def load_recogniser(path: str | os.PathLike | None = None, threads: int | None = None) -> Recogniser:
    """Load an ``.onnx``, ``.keras`` or ``.h5`` model, or a shipped one by name; ``None`` means the default.

    ``threads``: ONNX Runtime's threads for one model call (default: up to 2).
    """
    path = model_path(path or None)
    if not path.exists():
        raise FileNotFoundError(f"model {path}: no such file, and not a shipped model ({', '.join(SHIPPED_MODELS)}) "
                                f"or a personal one in {PERSONAL_MODELS_DIR}/; train one with `digits train` or "
                                f"`digits tune`, or omit --model")
    if path.suffix == ".onnx":
        return check(OnnxRecogniser(path, threads=threads))
    if path.suffix in KERAS_SUFFIXES:
        try:
            return check(KerasRecogniser(path))
        except CardError:
            raise
        except (ValueError, OSError, TypeError) as error:
            if str(error).startswith(f"model {path}:"):
                raise
            raise ValueError(f"model {path}: cannot load it with Keras ({first_line_of(error)})") from None
    raise ValueError(f"model {path}: unknown format {path.suffix!r}, expected .onnx, .keras or .h5")


def check(recogniser: Recogniser) -> Recogniser:
    """Run one blank 28×28 image through the model; raise ``ValueError`` naming the file unless 10 finite numbers come back.

    A model that cannot answer is refused when it is loaded, not on every image after.
    """
    path = recogniser.path
    if int(np.prod(recogniser.input_shape)) != 28 * 28:
        raise ValueError(f"model {path}: takes inputs of shape {recogniser.input_shape}, expected a 28×28 image")
    try:
        outputs = np.asarray(recogniser.run(np.zeros((1, *recogniser.input_shape), dtype=np.float32)))
    except Exception as error:  # the runtime's own types, as at load time
        raise ValueError(f"model {path}: fails on a blank 28×28 image ({first_line_of(error)})") from None
    if outputs.size not in OUTPUT_COUNTS:
        raise ValueError(f"model {path}: gives {outputs.size} outputs per image (shape {outputs.shape}), "
                         f"expected 10, one per digit (or 11, with 'not a digit')")
    if not np.isfinite(outputs).all():
        raise ValueError(f"model {path}: gives non-finite outputs (NaN or infinity) for a blank image")
    return recogniser


def first_line_of(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
