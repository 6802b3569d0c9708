"""Training settings: one flat, frozen dataclass; a preset is a named instance of it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

# The networks `digits.model` can build (kept here so the CLI need not import Keras).
ARCHITECTURE_NAMES = ("tutorial", "fast", "best", "compact")
# What a trained model can be saved as: Keras's own format, or the legacy HDF5.
MODEL_SUFFIXES = (".keras", ".h5")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. CLI flags map one to one onto these fields."""

    preset: str = "tutorial"
    arch: str = "tutorial"
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3
    # "constant" (the tutorial's plain Adam), or "onecycle": linear warm-up then cosine decay.
    schedule: str = "constant"
    warmup_fraction: float = 0.0
    beta_1: float = 0.9
    beta_2: float = 0.999
    label_smoothing: float = 0.0
    # Random shifts, rotations and zoom applied to training images (0 = none, 1 = full strength).
    augment: float = 0.0
    # Chance, for each of thicker strokes, blur and fainter ink, per image.
    ink_augment: float = 0.0
    # Chance of an elastic distortion (a smooth random warp of the strokes), per image.
    elastic: float = 0.0
    # Drawn images added to the training set (other styles, small tight crops, and non-digits,
    # from digits.synthetic); above 0 the model gets an eleventh output, "not a digit".
    synthetic: int = 0
    # Images drawn from UCI pen digits' training writers (digits.pen_digits), added like the drawn ones.
    pen_digits: int = 0
    # Each MNIST training image appears this many times an epoch (its augmentation differs each
    # time): more weight on MNIST against the drawn and pen images, the same variety of both.
    mnist_repeats: int = 1
    # Start from this trained model's weights (a path or a shipped model's name; same arch).
    init_from: str = ""
    # Exponential moving average of the weights, evaluated and saved instead of the raw weights.
    ema_momentum: float = 0.0
    seed: int = 0
    # Fraction of the 60,000 training images held out (the last ones) for validation.
    validation_split: float = 0.1
    # K-fold: with folds K (2 or more) the training images are cut into K blocks and block
    # `fold` is held out instead of the last validation_split (0: no folds).
    folds: int = 0
    fold: int = 0
    # Score the validation split after every epoch (curves in the history), or only once, after training.
    validate_every_epoch: bool = True
    out: str = ""

    def replace(self, **changes) -> "TrainConfig":
        """A copy with ``changes`` applied; ``None`` values are ignored (flags not given)."""
        given = {key: value for key, value in changes.items() if value is not None}
        unknown = set(given) - {field.name for field in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **given)

    def output_path(self) -> str:
        return self.out or f"runs/{self.preset}.keras"

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting out of range, before any training starts."""
        def fraction(name: str, value: float, upper_open: bool = False) -> None:
            if not (0.0 <= value < 1.0 if upper_open else 0.0 <= value <= 1.0):
                interval = "[0, 1)" if upper_open else "[0, 1]"
                raise ValueError(f"{name} {value}: expected a number in {interval}")

        if self.arch not in ARCHITECTURE_NAMES:
            raise ValueError(f"arch {self.arch!r}: choose one of {', '.join(ARCHITECTURE_NAMES)}")
        for name in ("epochs", "batch_size", "mnist_repeats"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} {value}: expected a whole number of at least 1")
        if not math.isfinite(self.learning_rate) or self.learning_rate <= 0:
            raise ValueError(f"learning_rate {self.learning_rate}: expected a finite number above 0")
        if self.schedule not in ("constant", "onecycle"):
            raise ValueError(f"schedule {self.schedule!r}: choose constant or onecycle")
        for name in ("warmup_fraction", "augment", "ink_augment", "elastic"):
            fraction(name, getattr(self, name))
        for name in ("beta_1", "beta_2", "label_smoothing", "ema_momentum", "validation_split"):
            fraction(name, getattr(self, name), upper_open=True)
        if self.folds:
            from digits.data import held_out

            held_out(60_000, self.validation_split, self.fold, self.folds)
        elif self.fold:
            raise ValueError(f"fold {self.fold}: give --folds too (the number of folds)")
        for name in ("synthetic", "pen_digits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} {value}: expected a whole number of drawn images, 0 or more")
        if self.mnist_repeats > 1 and not self.synthetic:
            raise ValueError(f"mnist_repeats {self.mnist_repeats}: weighs MNIST against drawn images, so needs synthetic "
                             f"above 0 (for MNIST alone, give more --epochs)")
        if self.pen_digits and not self.synthetic:
            raise ValueError(f"pen_digits {self.pen_digits}: needs synthetic above 0 (the drawn set's 'not a digit' "
                             f"examples)")
        if not isinstance(self.validate_every_epoch, bool):
            raise ValueError(f"validate_every_epoch {self.validate_every_epoch!r}: expected true or false")
        if self.init_from and not init_source_exists(self.init_from):
            raise ValueError(f"init_from {self.init_from!r}: no such model (a .keras path, a shipped model's name, "
                             f"or mnist-only)")
        if not self.output_path().endswith(MODEL_SUFFIXES):
            raise ValueError(f"out {self.output_path()!r}: a model file must end in {' or '.join(MODEL_SUFFIXES)}")


def init_source_exists(source: str) -> bool:
    """Whether ``init_from`` names a file, or a model kept in the package (``default``, ``accurate``, ``mnist-only``)."""
    from pathlib import Path

    return Path(source).is_file() or (Path(__file__).parent / "models" / f"{source}.keras").is_file()


PRESETS: dict[str, TrainConfig] = {
    # The tutorial's exact recipe: its network, plain Adam, 10 epochs at batch 128.
    "tutorial": TrainConfig(),
    # As little wall time as possible for ≥ 99.2 % test accuracy: 2 epochs of a small net.
    # Batch 120 gives twice the steps of 256 for about 15 % more time per epoch, and divides
    # the 54,000 training images, so no shorter last batch makes TensorFlow trace the step
    # again; a short memory for Adam's moments (β 0.7, 0.9) follows the fast-moving weights
    # of so short a run. Each choice was made on the validation split (docs/training.md).
    "fast": TrainConfig(
        preset="fast", arch="fast", epochs=2, batch_size=120, learning_rate=5e-3,
        schedule="onecycle", warmup_fraction=0.2, beta_1=0.7, beta_2=0.9, label_smoothing=0.1,
        validate_every_epoch=False,
    ),
    # As accurate as 2 CPU cores allow in about an hour.
    "best": TrainConfig(
        preset="best", arch="best", epochs=24, batch_size=128, learning_rate=2e-3,
        schedule="onecycle", warmup_fraction=0.1, label_smoothing=0.1, augment=1.0, ink_augment=0.1,
        ema_momentum=0.999,
    ),
    # A network trained on MNIST alone (models/mnist-only.keras holds one of each arch), taught
    # further: other hands' styles, small tight crops and what is not a digit, from drawn
    # images and UCI pen digits' training writers mixed with MNIST (a few epochs from its weights).
    "robust": TrainConfig(
        preset="robust", arch="compact", epochs=4, batch_size=128, learning_rate=5e-4,
        schedule="onecycle", warmup_fraction=0.1, label_smoothing=0.1, augment=1.0, ink_augment=0.1,
        ema_momentum=0.999, synthetic=48000, pen_digits=20000, init_from="mnist-only",
    ),
    # The same mixture learned from scratch for 60 epochs (122,000 images each): what the shipped
    # models are. Minutes on a GPU (JAX backend), a working day on 2 CPU cores (docs/training.md).
    "robust-scratch": TrainConfig(
        preset="robust-scratch", arch="compact", epochs=60, batch_size=128, learning_rate=2e-3,
        schedule="onecycle", warmup_fraction=0.1, label_smoothing=0.1, augment=1.0, ink_augment=0.1,
        ema_momentum=0.999, synthetic=48000, pen_digits=20000,
    ),
}


def preset(name: str) -> TrainConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
