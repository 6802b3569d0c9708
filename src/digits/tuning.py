"""A personal model: the shipped model taught a writer's corrections without forgetting MNIST.

``tune(config, corrections)`` fine-tunes the Keras weights of ``config.base`` (the shipped
default: ten digits and "not a digit") on the corrections mixed with MNIST training images.
Its settings (epochs, learning rate) are chosen by k-fold cross-validation over the
corrections, and a setting is only kept when MNIST accuracy on the validation split
(never trained on) stays within ``max_mnist_drop`` of the base model's. The model is then
trained on every correction, scored once on the MNIST test set, and saved (``.keras``,
``.onnx`` and a card) only if that score, too, is within ``max_mnist_drop``.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.corrections import NOT_A_DIGIT, Correction

# Fewer corrections than this (one per digit on average) is too little to learn from
# or to cross-validate a setting on; `digits tune` refuses and says how many more to make.
MIN_CORRECTIONS = 10


class TuneError(ValueError):
    """Tuning refused: too few corrections, or the tuned model forgets MNIST; nothing was written."""


@dataclass(frozen=True)
class TuneConfig:
    """Settings of ``digits tune``; the CLI flags map one to one onto these fields."""

    writer: str = ""
    # The model file written (.onnx; a .keras and a .card.json beside it); default runs/WRITER.onnx.
    out: str = ""
    # The shipped model whose Keras weights are tuned.
    base: str = "default"
    # The settings cross-validation chooses among.
    epochs: tuple[int, ...] = (2, 4)
    learning_rates: tuple[float, ...] = (1e-4, 3e-4)
    folds: int = 3
    # MNIST training images mixed in per epoch, so that the model keeps reading other hands.
    mnist_images: int = 500
    # The corrections' share of each epoch's images (repeated as needed: they are few beside MNIST).
    # In bench/personal.py ten corrections per digit keep MNIST within 0.1 points at 0.25; at
    # about 0.45 every setting was refused (docs/corrections.md).
    correction_share: float = 0.25
    batch_size: int = 64
    # Largest fall in MNIST accuracy allowed, as a fraction (0.001 = 0.1 points).
    max_mnist_drop: float = 0.001
    seed: int = 0

    def output_path(self) -> Path:
        from digits.recognisers import PERSONAL_MODELS_DIR

        return Path(self.out) if self.out else PERSONAL_MODELS_DIR / f"{self.writer}.onnx"

    def validate(self) -> None:
        if not self.writer or "/" in self.writer or self.writer.startswith("."):
            raise ValueError(f"writer {self.writer!r}: give the name the corrections were stored under "
                             f"(--writer NAME, no slashes)")
        from digits.recognisers import SHIPPED_MODELS

        if not self.out and self.writer in SHIPPED_MODELS:
            raise ValueError(f"writer {self.writer!r} is also a shipped model's name; give --out NAME.onnx")
        if self.output_path().suffix != ".onnx":
            raise ValueError(f"--out {self.out}: a personal model is an .onnx file (a .keras is written beside it)")
        if not self.epochs or min(self.epochs) < 1 or not self.learning_rates or min(self.learning_rates) <= 0:
            raise ValueError("epochs and learning rates to choose among must be positive and not empty")
        if self.folds < 2:
            raise ValueError(f"folds {self.folds}: cross-validation needs at least 2")
        if not 0 < self.correction_share < 1:
            raise ValueError(f"correction_share {self.correction_share}: give a fraction between 0 and 1")
        for name in ("mnist_images", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} is {getattr(self, name)}; it must be positive")


def check_enough(corrections: list[Correction], writer: str, folds: int) -> None:
    """Raise ``TuneError`` when there are too few corrections to tune on, saying how many more are needed."""
    needed = max(MIN_CORRECTIONS, folds)
    if len(corrections) < needed:
        raise TuneError(f"writer {writer!r} has {len(corrections)} correction(s); tuning needs at least {needed} "
                        f"(about one per digit): make {needed - len(corrections)} more with `digits correct` "
                        f"or the page's 'that's wrong' control")
    if len({correction.label for correction in corrections}) < 2:
        raise TuneError(f"writer {writer!r}: all {len(corrections)} corrections say "
                        f"{corrections[0].label}; correct other digits too, or the model would learn "
                        f"to answer only that")


def answers(scores: np.ndarray) -> np.ndarray:
    """The answer per row of (N, 11) scores: 0-9, or 10 when "not a digit" reaches the threshold."""
    from digits.predict import NOT_A_DIGIT_THRESHOLD

    digits = scores[:, :NOT_A_DIGIT].argmax(axis=1)
    return np.where(scores[:, NOT_A_DIGIT] >= NOT_A_DIGIT_THRESHOLD, NOT_A_DIGIT, digits)


def predict(model, images: np.ndarray) -> np.ndarray:
    """The model's answers (0-10) for (N, 28, 28) float32 images."""
    scores = [np.asarray(model.predict_on_batch(images[start:start + 512][..., None]), dtype=np.float64)
              for start in range(0, len(images), 512)]
    return answers(np.concatenate(scores))


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of (N, 28, 28) float32 images answered with their label (a declined digit is wrong)."""
    return float((predict(model, images) == labels).mean())


def load_base(base: str):
    """The base model (``.keras``) with batch normalisation frozen: a few hundred images must not move its statistics."""
    import keras

    import digits.model  # noqa: F401  (registers the project's custom layers)
    from digits.recognisers import model_path

    path = model_path(base, suffix=".keras")
    if not path.exists():
        raise FileNotFoundError(f"base model {path}: no such file; give a shipped model's name or a .keras file")
    model = keras.saving.load_model(path, compile=False)
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    if model.output_shape[-1] != NOT_A_DIGIT + 1:
        raise ValueError(f"base model {path}: gives {model.output_shape[-1]} outputs, expected 11 "
                         f"(ten digits and 'not a digit')")
    return model, path


def fit(model, start_weights: list, images: np.ndarray, labels: np.ndarray, mnist: tuple[np.ndarray, np.ndarray],
        epochs: int, learning_rate: float, config: TuneConfig, seed: int, after_epoch=None) -> None:
    """Reset ``model`` to ``start_weights`` and fine-tune it on the corrections mixed with MNIST.

    Args:
        images: (N, 28, 28) float32 corrections, labels (N,) 0-10.
        mnist: (M, 28, 28) float32 MNIST training images in [0, 1] and their labels; a fresh
            ``config.mnist_images`` of them is drawn each epoch, and the corrections repeated to
            make up about ``config.correction_share`` of it.
        after_epoch: called with the number of epochs done after each; a run of 4 epochs
            passes through the model a run of 2 would end with (same seed), so one run
            scores both.
    """
    import keras

    repeats = max(1, round(config.correction_share / (1 - config.correction_share) * config.mnist_images / len(images)))
    model.set_weights(start_weights)
    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.SparseCategoricalCrossentropy())
    else:
        # Compiled once: compiling again would trace the training step again (seconds each time).
        # A fresh start is the optimizer's moments and step count at zero.
        for variable in model.optimizer.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        model.optimizer.learning_rate.assign(learning_rate)
    random = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        chosen = random.choice(len(mnist[0]), size=min(config.mnist_images, len(mnist[0])), replace=False)
        epoch_images = np.concatenate([mnist[0][chosen], np.repeat(images, repeats, axis=0)])
        epoch_labels = np.concatenate([mnist[1][chosen], np.repeat(labels, repeats)])
        order = random.permutation(len(epoch_images))
        model.fit(epoch_images[order][..., None], epoch_labels[order], batch_size=config.batch_size,
                  epochs=1, verbose=0, shuffle=False)
        if after_epoch is not None:
            after_epoch(epoch)


def folds_of(count: int, folds: int, seed: int) -> list[np.ndarray]:
    """``folds`` disjoint index sets covering 0..count-1, in a seeded random order."""
    return np.array_split(np.random.default_rng(seed).permutation(count), folds)


def tune(config: TuneConfig, corrections: list[Correction], data=None, progress=None) -> dict:
    """Choose settings by cross-validation, tune on all corrections, check MNIST, save; return the card.

    Args:
        corrections: the writer's corrections (at least ``MIN_CORRECTIONS``).
        data: MNIST as ``load_mnist`` returns it (uint8); loaded when ``None``.
        progress: called with one line of text per step, if given.

    Raises:
        TuneError: too few corrections, or no setting keeps MNIST within ``max_mnist_drop``.
    """
    from digits.card import card_path, write_card
    from digits.data import load_mnist
    from digits.exporting import export
    from digits.recognisers import load_recogniser
    from digits.preprocess import scale_mnist
    from digits.training import split

    config.validate()
    say = progress or (lambda line: None)
    check_enough(corrections, config.writer, config.folds)
    started = time.perf_counter()
    images = np.stack([correction.model_input for correction in corrections]).astype(np.float32)
    labels = np.array([correction.label for correction in corrections], dtype=np.int64)
    (x_train, y_train), (x_test, y_test) = data if data is not None else load_mnist()
    (x_fit, y_fit), (x_validation, y_validation) = split(x_train, y_train, 0.1)
    mnist_fit = (scale_mnist(x_fit), y_fit.astype(np.int64))
    validation = (scale_mnist(x_validation), y_validation.astype(np.int64))

    model, base_path = load_base(config.base)
    start_weights = model.get_weights()
    base_correct = predict(model, images) == labels
    base_validation, base_test = base_accuracies(config.base, model, validation, (scale_mnist(x_test), y_test))

    # Cross-validation: each setting is tuned on k-1 folds and scored on the one left out;
    # one run per learning rate and fold scores every epoch count on the way.
    parts = folds_of(len(images), config.folds, config.seed)
    right = {(epochs, learning_rate): 0 for epochs in config.epochs for learning_rate in config.learning_rates}
    for learning_rate in config.learning_rates:
        for index, held_out in enumerate(parts):
            kept = np.setdiff1d(np.arange(len(images)), held_out)

            def score(epochs: int) -> None:
                if epochs in config.epochs:
                    right[epochs, learning_rate] += int((predict(model, images[held_out]) == labels[held_out]).sum())

            fit(model, start_weights, images[kept], labels[kept], mnist_fit, max(config.epochs), learning_rate,
                config, config.seed + index, after_epoch=score)
    scored = [{"epochs": epochs, "learning_rate": learning_rate,
               "cross_validation_accuracy": round(count / len(images), 6)}
              for (epochs, learning_rate), count in right.items()]
    for row in scored:
        say(f"epochs {row['epochs']}, learning rate {row['learning_rate']:g}: "
            f"{100 * row['cross_validation_accuracy']:.1f}% of held-out corrections right")

    # Best held-out accuracy first; among equals the gentler setting (fewer steps, smaller rate).
    ranked = sorted(scored, key=lambda row: (-row["cross_validation_accuracy"], row["epochs"] * row["learning_rate"]))
    chosen = None
    for row in ranked:
        fit(model, start_weights, images, labels, mnist_fit, row["epochs"], row["learning_rate"], config,
            config.seed)
        row["mnist_validation_accuracy"] = round(accuracy(model, *validation), 6)
        if base_validation - row["mnist_validation_accuracy"] <= config.max_mnist_drop:
            chosen = row
            break
        say(f"epochs {row['epochs']}, learning rate {row['learning_rate']:g}: MNIST validation accuracy "
            f"{100 * row['mnist_validation_accuracy']:.2f}% against {100 * base_validation:.2f}%, set aside")
    if chosen is None:
        raise TuneError(f"every setting lowers MNIST validation accuracy by more than "
                        f"{100 * config.max_mnist_drop:.2g} points (from {100 * base_validation:.2f}%); "
                        f"nothing was written; check the corrections' labels with `digits corrections list`")

    tuned_correct = predict(model, images) == labels
    out = config.output_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.stem}.") as folder:
        # Written and checked aside; moved into place only when the MNIST test check passes.
        keras_path = Path(folder) / f"{out.stem}.keras"
        onnx_path = keras_path.with_suffix(".onnx")
        model.save(keras_path)
        export(keras_path, onnx_path, check_images=scale_mnist(x_test[:256]))
        # The test set is scored once, with the file that will be served, for the card and the final check.
        test = float((answers(load_recogniser(onnx_path).scores(scale_mnist(x_test))) == y_test).mean())
        if base_test - test > config.max_mnist_drop:
            raise TuneError(f"the tuned model reads MNIST test digits {100 * (base_test - test):.2f} points worse "
                            f"({100 * test:.2f}% against {100 * base_test:.2f}%), more than the "
                            f"{100 * config.max_mnist_drop:.2g} allowed; nothing was written")
        card = personal_card(config, labels, base_correct, tuned_correct, base_path, base_test, base_validation,
                             scored, chosen, len(validation[1]), test, len(y_test), time.perf_counter() - started)
        write_card(keras_path, card)
        # The served file last: once it is there, its card and Keras weights are too.
        os.replace(keras_path, out.with_suffix(".keras"))
        os.replace(card_path(keras_path), card_path(out))
        os.replace(onnx_path, out)
    say(f"saved {out}")
    return card


def personal_card(config: TuneConfig, labels: np.ndarray, base_correct: np.ndarray, tuned_correct: np.ndarray,
                  base_path: Path, base_test: float, base_validation: float, scored: list[dict], chosen: dict,
                  validation_samples: int, test: float, test_samples: int, seconds: float) -> dict:
    """The personal model's card: its writer, corrections, base model, settings tried and MNIST scores."""
    from digits.card import library_versions, machine, today

    counts = np.bincount(labels, minlength=NOT_A_DIGIT + 1)
    card = {
        "model": config.output_path().name,
        "date": today(),
        "personal": True,
        "writer": config.writer,
        "base": {"model": base_path.name, "mnist_test_accuracy": round(base_test, 6),
                 "mnist_validation_accuracy": round(base_validation, 6)},
        "config": {key: list(value) if isinstance(value, tuple) else value
                   for key, value in dataclasses.asdict(config).items()},
        "corrections": {"count": int(len(labels)),
                        "per_label": {str(label): int(count) for label, count in enumerate(counts) if count},
                        "right_before": int(base_correct.sum()), "right_after": int(tuned_correct.sum())},
        "selection": "epochs and learning rate by cross-validation over the corrections "
                     f"({config.folds} folds); a setting is kept only if MNIST validation accuracy stays within "
                     f"{100 * config.max_mnist_drop:.2g} points of the base model's",
        "settings_tried": scored,
        "chosen": {"epochs": chosen["epochs"], "learning_rate": chosen["learning_rate"]},
        "validation": {"samples": int(validation_samples), "accuracy": chosen["mnist_validation_accuracy"]},
        "test": {"samples": int(test_samples), "accuracy": round(test, 6)},
        "seconds": round(seconds, 1),
        "versions": library_versions(),
        "machine": machine(),
    }
    return card


def base_accuracies(base: str, model, validation: tuple, test: tuple) -> tuple[float, float]:
    """The base model's MNIST validation and test accuracy: from its shipped ONNX file (fast) when it
    has one, else from ``model`` (still holding the base weights)."""
    from digits.recognisers import load_recogniser, model_path

    onnx_path = model_path(base, suffix=".onnx")
    if onnx_path.exists():
        recogniser = load_recogniser(onnx_path)
        return tuple(float((answers(recogniser.scores(images)) == labels).mean()) for images, labels in
                     (validation, test))
    return accuracy(model, *validation), accuracy(model, test[0], np.asarray(test[1], dtype=np.int64))
