"""Train many runs (seeds, folds, networks) as independent, resumable jobs on an engine.

A sweep is a list of ``TrainConfig``s, one per run, each with its own output path under
``out``. A run whose card exists is done and skipped; a run interrupted after some epochs
resumes from its checkpoint; a run that fails does not stop the others. Jobs go to an
engine (``digits.engines``): local processes by default, or a Dask cluster, where each
worker trains one run at a time.

Names: ``OUT/ARCH-PRESET-sSEED.keras``; with folds, ``...-sSEED-foldKofN.keras`` for
each fold and, with ``refit``, ``...-sSEED-all.keras`` trained on all 60,000 images. A run
found at its path with other settings (another ``--epochs``, ``--mnist-repeats``, ...) is
refused rather than taken for done: such a sweep needs its own ``out``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from digits.card import card_path
from digits.config import ARCHITECTURE_NAMES, TrainConfig

SEEDS = re.compile(r"(\d+)(?:-(\d+))?")


def parse_seeds(text: str) -> list[int]:
    """``"0-7"`` → 0..7; ``"0,3,5-6"`` → 0, 3, 5, 6."""
    seeds: list[int] = []
    for piece in text.split(","):
        match = SEEDS.fullmatch(piece.strip())
        if not match:
            raise ValueError(f"seeds {text!r}: expected numbers and ranges such as 0-7 or 0,3,5-6")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise ValueError(f"seeds {text!r}: range {first}-{last} runs backwards")
        seeds += [seed for seed in range(first, last + 1) if seed not in seeds]
    return seeds


@dataclass(frozen=True)
class Sweep:
    """The runs to train: ``recipe`` (a preset with flags applied) for every network and seed.

    ``folds`` K (2 or more) trains each member K times, each holding out one block of the
    training images; ``refit`` also trains each member on all of them (``validation_split`` 0).
    """

    recipe: TrainConfig
    archs: tuple[str, ...]
    seeds: tuple[int, ...]
    folds: int = 0
    refit: bool = False
    out: str = "runs"

    def runs(self) -> list[TrainConfig]:
        """One config per run, in order: network, seed, fold (the refit twin last)."""
        if not self.archs or not self.seeds:
            raise ValueError("a sweep needs at least one --arch and one seed")
        for arch in self.archs:
            if arch not in ARCHITECTURE_NAMES:
                raise ValueError(f"arch {arch!r}: choose one of {', '.join(ARCHITECTURE_NAMES)}")
        if self.refit and not self.folds and self.recipe.validation_split == 0:
            raise ValueError("--refit adds runs on all training images; these runs already are (validation split 0)")
        configs = []
        for arch in self.archs:
            for seed in self.seeds:
                stem = f"{self.out}/{arch}-{self.recipe.preset}-s{seed}"
                member = self.recipe.replace(arch=arch, seed=seed)
                if self.folds:
                    configs += [member.replace(folds=self.folds, fold=fold, out=f"{stem}-fold{fold}of{self.folds}.keras")
                                for fold in range(self.folds)]
                else:
                    configs.append(member.replace(out=f"{stem}.keras"))
                if self.refit:
                    configs.append(member.replace(validation_split=0.0, folds=0, fold=0, out=f"{stem}-all.keras"))
        for config in configs:
            config.validate()
        return configs


def is_done(config: TrainConfig) -> bool:
    return card_path(config.output_path()).exists()


def saved_recipe(config: TrainConfig) -> TrainConfig | None:
    """The settings the run at ``config``'s path was trained (or started) with: its card's, else its checkpoint's.

    None when there is neither, or what is there cannot be read as settings (training itself says so).
    """
    from digits.training import checkpoint_dir

    out = Path(config.output_path())
    card, checkpoint = card_path(out), checkpoint_dir(out) / "config.json"
    for path in (card, checkpoint):
        if path.exists():
            try:
                saved = json.loads(path.read_text())
                saved = saved.get("config") if path == card else saved
                return TrainConfig(**saved) if saved else None
            except (ValueError, TypeError, AttributeError):
                return None
    return None


def pending(configs: list[TrainConfig]) -> list[TrainConfig]:
    """The runs of ``configs`` still to train (no card yet).

    Raises:
        ValueError: a run at one of these paths was trained or started with other settings (a
            card or checkpoint is found by its name, which holds only network, preset, seed and fold).
    """
    for config in configs:
        saved = saved_recipe(config)
        if saved is None:
            continue
        was, asked = dataclasses.asdict(saved), dataclasses.asdict(config)
        differing = [name for name in asked if name != "out" and was[name] != asked[name]]
        if differing:
            settings = ", ".join(f"{name} {was[name]} (asked: {asked[name]})" for name in differing)
            raise ValueError(f"{config.output_path()} was trained with other settings: {settings}; "
                             f"give this sweep another --out")
    return [config for config in configs if not is_done(config)]


@dataclass(frozen=True)
class RunResult:
    """What a finished run reports back: where it is, its validation accuracy (``None`` without one), its time."""

    out: str
    validation_accuracy: float | None
    seconds: float


def train_run(config: TrainConfig, data=None) -> RunResult:
    """Train one run in this process, resuming its checkpoint if it has finished epochs; ``data`` as ``train``'s."""
    from digits.quiet import import_keras_quietly

    import_keras_quietly()
    from digits.checkpoint import epochs_done
    from digits.training import checkpoint_dir, train

    out = Path(config.output_path())
    folder = checkpoint_dir(out)
    resume = (folder / "config.json").exists() and bool(epochs_done(folder))
    card = train(config, data=data, resume=resume, verbose=0)
    validation = card["validation"]
    return RunResult(str(out), validation["accuracy"] if validation else None, card["seconds"])


def run_sweep(configs: list[TrainConfig], engine, data=None):
    """Train the runs of ``configs`` that have no card yet on ``engine``; yield each ``engines.Outcome``.

    An outcome's ``result`` is a ``RunResult``; its ``error`` says why a run failed.
    """
    todo = pending(configs)
    yield from engine.map(functools.partial(train_run, data=data), todo)

