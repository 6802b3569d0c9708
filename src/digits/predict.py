"""The inference runtime: load a model, turn images into predictions.

ONNX models run on ONNX Runtime and never import TensorFlow or Keras; ``.keras`` and
``.h5`` models (including one saved by the tutorial's own code) load through Keras.
Every image goes through ``digits.preprocess.model_inputs`` first (``to_model_input``'s path).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from digits.card import CardError, read_card
from digits.preprocess import NoDigitError, model_inputs

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS_DIR / "default.onnx"
# Models that ship with the package, by name: `default`, chosen on validation within an
# inference budget, and `accurate`, the most accurate on validation whatever its cost.
SHIPPED_MODELS = ("default", "accurate")
# Where `digits tune` writes personal models by default; `--model NAME` finds NAME.onnx here.
PERSONAL_MODELS_DIR = Path("runs")
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
# Answers less sure than this are flagged: the image may not be a clear digit.
LOW_CONFIDENCE = 0.6
# Outputs per image a model may give: the ten digits, or the ten and "not a digit".
OUTPUT_COUNTS = (10, 11)


# A model with an eleventh output also answers "not a digit"; this is what a person is told.
NOT_A_DIGIT_REASON = "this does not look like a digit"
# "Not a digit" is the answer when its probability reaches this. Chosen on validation
# (bench/not_a_digit_threshold.py, docs/training.md): the lowest of 0.3-0.9 at which the
# shipped default declines at most 1 % of real validation digits made into photos, canvases,
# crops and desk scenes (0.88 %, drawn set v7's default; 1.04 % at 0.6); it then declines 93.6 % of
# the drawn validation non-digits (at 0.6: 94.3 %; at 0.8: 0.64 % and 92.1 %).
NOT_A_DIGIT_THRESHOLD = 0.7
# A low-confidence answer's text says how likely "not a digit" is from this share on.
NOT_A_DIGIT_SHOWN = 0.1


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


@dataclass
class Prediction:
    """What became of one input: a digit with its probabilities, no digit and why, or an error."""

    path: str
    digit: int | None = None
    confidence: float | None = None
    probabilities: list[float] = field(default_factory=list)
    reason: str | None = None
    error: str | None = None
    # Set when a whole number was read: the string, and one dict per digit (digit, confidence, box).
    number: str | None = None
    digits: list[dict] | None = None
    # The probability that the image is not a digit, from a model with that output.
    not_a_digit: float | None = None

    @property
    def low_confidence(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE

    def to_dict(self) -> dict:
        """An error: ``path`` and ``error``. Otherwise the same keys for every answer of a kind (a digit, or a
        number), ``None`` where one does not apply: ``confidence`` when nothing was read, ``reason`` when
        something was, ``not_a_digit`` when no ink reached the model. ``low_confidence`` is true or false."""
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        if self.digits is not None:
            result = {"path": self.path, "number": self.number, "confidence": self.confidence,
                      "digits": self.digits}
        else:
            result = {"path": self.path, "digit": self.digit, "confidence": self.confidence,
                      "probabilities": self.probabilities}
        return result | {"low_confidence": self.low_confidence, "not_a_digit": self.not_a_digit, "reason": self.reason}

    def describe(self, top: int = 1) -> str:
        """One line for people: ``five.png: 5 (99.2%)``."""
        if self.error is not None:
            # Library messages usually start with the path already.
            message = self.error if self.error.startswith(self.path) else f"{self.path}: {self.error}"
            return f"error: {message}"
        flag = " [low confidence]" if self.low_confidence else ""
        if self.low_confidence and self.not_a_digit is not None and self.not_a_digit >= NOT_A_DIGIT_SHOWN:
            # Under the threshold, "not a digit" may still be the likeliest answer: say how likely.
            flag = f" [low confidence; {100 * self.not_a_digit:.0f}% not a digit]"
        if self.digits is not None:
            if self.number is None:
                return f"{self.path}: no number: {self.reason}"
            return f"{self.path}: {self.number} ({100 * self.confidence:.1f}% for the least sure digit){flag}"
        ranked = np.argsort(self.probabilities)[::-1][:max(1, top)]
        answers = ", ".join(f"{digit} ({100 * self.probabilities[digit]:.1f}%)" for digit in ranked)
        if self.digit is None:
            # Declined: with --top, the digits it was most like, for a person to judge.
            most_like = f"; most like {answers}" if top > 1 and self.probabilities else ""
            return f"{self.path}: no digit: {self.reason}{most_like}"
        return f"{self.path}: {answers}{flag}"


def label_of(item, index: int) -> str:
    if isinstance(item, (str, os.PathLike)):
        return str(item)
    return f"<image {index}>"


class Prepared(NamedTuple):
    """One image made ready for the model: its input (``digits.preprocess.model_inputs``' image), or the
    reason it holds no digit, or an error; and a stretched band's narrowed input (``answers_for`` weighs
    the two answers)."""

    image: np.ndarray | None
    reason: str | None
    error: str | None
    narrowed: np.ndarray | None = None


def prepare(image) -> Prepared:
    """``Prepared`` for one image: at most one of its input, no-digit reason and error is set."""
    try:
        model_input, reason, narrowed = model_inputs(image)
        return Prepared(model_input, reason, None, narrowed)
    except NoDigitError as reason:
        return Prepared(None, str(reason), None)
    except (ValueError, OSError) as error:
        return Prepared(None, None, str(error))


def predictions_for(labels: Sequence[str], prepared: Sequence[tuple], recogniser: Recogniser) -> list[Prediction]:
    """Run the model once over the prepared images (``Prepared``, or its first three fields) and pair every
    input with its answer."""
    return [prediction for prediction, _ in answers_for(labels, prepared, recogniser)]


def answers_for(labels: Sequence[str], prepared: Sequence[tuple],
                recogniser: Recogniser) -> list[tuple[Prediction, np.ndarray | None]]:
    """``predictions_for``, each answer with the model input it came from (None when none did)."""
    prepared = [Prepared(*item) for item in prepared]
    images = [item.image for item in prepared if item.image is not None]
    images += [item.narrowed for item in prepared if item.narrowed is not None]
    rows = iter(recogniser.scores(np.stack(images)) if images else [])
    firsts = [next(rows) if item.image is not None else None for item in prepared]
    answers = []
    for label, item, scores in zip(labels, prepared, firsts):
        prediction = Prediction(path=label, reason=item.reason, error=item.error)
        if scores is not None:
            fill(prediction, scores)
        answer = (prediction, item.image)
        if item.narrowed is not None:
            second_look = Prediction(path=label)
            fill(second_look, next(rows))
            if takes_second_look(prediction, second_look):
                answer = (second_look, item.narrowed)
        answers.append(answer)
    return answers


def takes_second_look(first: Prediction, narrowed: Prediction) -> bool:
    """Whether a stretched band's narrowed reading replaces the image's own: the band reads a digit surely
    (not "not a digit", at least LOW_CONFIDENCE), and surer than the image as it is, or that reads unsure
    or as no digit."""
    if first.error is not None or narrowed.error is not None or narrowed.digit is None or narrowed.low_confidence:
        return False
    return first.digit is None or first.low_confidence or narrowed.confidence > first.confidence


def recognise(images: Iterable, recogniser: Recogniser | None = None) -> list[Prediction]:
    """Recognise each image (path, bytes, Pillow image or array); one ``Prediction`` per input.

    A bad input becomes a ``Prediction`` with ``error`` set, and the others still run.
    """
    recogniser = recogniser or load_recogniser()
    images = list(images)
    labels = [label_of(image, index) for index, image in enumerate(images)]
    return predictions_for(labels, [prepare(image) for image in images], recogniser)


def recognise_numbers(images: Iterable, recogniser: Recogniser | None = None) -> list[Prediction]:
    """Read a whole number (several digits side by side) in each image; one ``Prediction`` per input."""
    from digits.number import read_number

    recogniser = recogniser or load_recogniser()
    predictions = []
    for index, image in enumerate(images):
        prediction = Prediction(path=label_of(image, index))
        try:
            reading = read_number(image, recogniser)
            prediction.number, prediction.confidence, prediction.digits = (
                reading["number"], reading["confidence"], reading["digits"])
        except NoDigitError as reason:
            prediction.reason, prediction.digits = str(reason), getattr(reason, "digits", [])
        except (ValueError, OSError) as error:
            prediction.error = str(error)
        predictions.append(prediction)
    return predictions


def fill(prediction: Prediction, scores: Sequence[float]) -> None:
    """Set the answer from one row of ``Recogniser.scores``: a digit, or no digit when "not a digit" wins."""
    if not np.isfinite(scores).all():
        # NaN is not JSON, and "9 (nan%)" is no answer: the image gets an error row instead.
        prediction.error = "the model gave non-finite outputs (NaN or infinity) for this image; check the model file"
        return
    probabilities, not_a_digit = np.asarray(scores[:10]), float(scores[10])
    if not_a_digit >= NOT_A_DIGIT_THRESHOLD:
        prediction.reason = f"{NOT_A_DIGIT_REASON} ({100 * not_a_digit:.0f}% sure)"
        prediction.not_a_digit = round(not_a_digit, 6)
        prediction.probabilities = [round(float(value), 6) for value in probabilities]
        return
    digit = int(np.argmax(probabilities))
    if len(scores) > 10 and scores[10] > 0:
        prediction.not_a_digit = round(not_a_digit, 6)
    prediction.digit = digit
    prediction.confidence = round(float(probabilities[digit]), 6)
    prediction.probabilities = [round(float(value), 6) for value in probabilities]
