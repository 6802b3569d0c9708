"""Turn images into answers: a digit with its probabilities, no digit and why, or an error.

Every image goes through ``digits.preprocess.model_inputs`` first (``to_model_input``'s path),
and the model (``digits.recognisers``) runs once over all of a batch's inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from digits.preprocess import NoDigitError, Prepared, model_inputs
from digits.recognisers import Recogniser, load_recogniser

# Answers less sure than this are flagged: the image may not be a clear digit.
LOW_CONFIDENCE = 0.6

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


def prepare(image) -> Prepared:
    """``Prepared`` for one image: at most one of its input, no-digit reason and error is set."""
    try:
        return model_inputs(image)
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
