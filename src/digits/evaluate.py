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


def evaluate(model_path: str | os.PathLike | None = None) -> dict:
    """Score a model file (``None``: the shipped default) on the 10,000 MNIST test images."""
    from digits.data import load_mnist
    from digits.predict import load_recogniser
    from digits.preprocess import scale_mnist

    recogniser = load_recogniser(model_path)
    _, (x_test, y_test) = load_mnist()
    result = {"model": str(recogniser.path)}
    result.update(metrics(recogniser.probabilities(scale_mnist(x_test)), y_test))
    return result
