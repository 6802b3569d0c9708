"""Scores on a labelled set: loss, accuracy, per-class accuracy, errors."""

from __future__ import annotations

import os

import numpy as np


def metrics(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Cross-entropy loss, accuracy, per-class accuracy and error count.

    Args:
        probabilities: (N, 10) floats, rows summing to 1.
        labels: (N,) integer classes.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    if len(probabilities) != len(labels) or len(labels) == 0:
        raise ValueError(f"{len(probabilities)} predictions for {len(labels)} labels: expected the same, non-zero count")
    predicted = probabilities.argmax(axis=1)
    correct = predicted == labels
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0)
    per_class = {}
    for digit in range(10):
        members = labels == digit
        per_class[str(digit)] = round(float(correct[members].mean()), 6) if members.any() else None
    return {
        "samples": int(len(labels)),
        "accuracy": round(float(correct.mean()), 6),
        "loss": round(float(-np.log(picked).mean()), 6),
        "errors": int((~correct).sum()),
        "per_class_accuracy": per_class,
    }


def rescale(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log(p) / temperature), row by row (as ``digits.model.Temperature``)."""
    logits = np.log(np.maximum(probabilities, 1e-12)) / temperature
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def best_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.1, 3] that minimises cross-entropy on held-out data (answers unchanged)."""
    candidates = np.round(np.arange(0.1, 3.0001, 0.01), 2)
    rows = np.arange(len(labels))
    losses = [-np.log(np.maximum(rescale(probabilities, value)[rows, labels], 1e-12)).mean() for value in candidates]
    return float(candidates[int(np.argmin(losses))])


def evaluate(model_path: str | os.PathLike | None = None) -> dict:
    """Score a model file (``None``: the shipped default) on the 10,000 MNIST test images."""
    from digits.data import load_mnist
    from digits.predict import NOT_A_DIGIT_THRESHOLD
    from digits.recognisers import load_recogniser
    from digits.preprocess import scale_mnist

    recogniser = load_recogniser(model_path)
    _, (x_test, y_test) = load_mnist()
    scores = recogniser.scores(scale_mnist(x_test))
    result = {"model": str(recogniser.path)}
    result.update(metrics(scores, y_test))
    # As answers are given: a digit whose "not a digit" probability reaches the threshold is declined, and wrong.
    declined = scores[:, 10] >= NOT_A_DIGIT_THRESHOLD
    correct = (scores[:, :10].argmax(axis=1) == y_test) & ~declined
    result.update(accuracy=round(float(correct.mean()), 6), errors=int((~correct).sum()), declined=int(declined.sum()))
    return result
