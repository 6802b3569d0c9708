"""Which runs make a member, and the held-out answers that judge it.

Runs of one recipe and seed (``recipe_key``: the whole config but how the training
images were split, and the path) are one *member*. A member is judged by runs that held
images out: the K folds of ``digits sweep --folds K``, whose held-out answers together
cover all 60,000 training images (*out of fold*), or one run with a validation split. A
run of the same recipe and seed on all 60,000 images (``validation_split`` 0) is its
*refit twin*. ``Evidence`` holds every member's answers on images its networks did not
train on, for ``digits.ensemble`` to choose with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

import digits.model  # noqa: F401  (registers the project's layers for loading)
from digits.card import read_card
from digits.config import TrainConfig
from digits.data import Arrays, split
from digits.preprocess import scale_mnist

FOLD_SUFFIX = re.compile(r"-fold\d+of\d+$")


def recipe_key(card: dict) -> tuple:
    """What makes runs one member: the whole recipe but how the training images were split, and the path.

    The card's config is read through ``TrainConfig``, so a setting added after a run was
    made counts at its default, as it was for that run.
    """
    recipe = TrainConfig(**card["config"]).__dict__
    return tuple(sorted((key, value) for key, value in recipe.items()
                        if key not in ("validation_split", "out", "fold", "folds")))


@dataclass
class Member:
    """One recipe and seed: the runs that judge it (its folds, or one run with a validation split), and its twin."""

    name: str
    arch: str
    judged_by: list[Path] = field(default_factory=list)
    twin: Path | None = None

    @property
    def folds(self) -> int:
        return read_card(self.judged_by[0])["config"].get("folds", 0) if self.judged_by else 0

    def shipped_runs(self) -> list[Path]:
        return [self.twin] if self.twin else self.judged_by


def run_paths(items: list[str]) -> list[Path]:
    """``.keras`` runs named directly or found in folders (those with a card), sorted within each folder."""
    paths = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            paths += sorted(found for found in path.glob("*.keras") if read_card(found))
        elif not path.exists():
            raise FileNotFoundError(f"run {path}: no such file or folder")
        else:
            paths.append(path)
    if not paths:
        raise ValueError(f"no trained runs in {', '.join(items)}: train some with `digits sweep`")
    return paths


def members_of(paths: list[Path]) -> list[Member]:
    """Group runs into members, in the order first seen; every member needs runs to be judged by."""
    members: dict[tuple, Member] = {}
    for path in paths:
        card = read_card(path)
        if not card:
            raise ValueError(f"run {path}: has no card; ship runs made by `digits train` or `digits sweep`")
        config = TrainConfig(**card["config"])
        member = members.setdefault(recipe_key(card), Member(FOLD_SUFFIX.sub("", path.stem).removesuffix("-all"),
                                                             config.arch))
        if config.folds or config.validation_split > 0:
            member.judged_by.append(path)
        else:
            member.twin = path
    for member in members.values():
        if not member.judged_by:
            raise ValueError(f"member {member.name}: only a run on all training images ({member.twin}); nothing "
                             f"held out to judge it by (train it with a validation split or --folds too)")
        configs = [read_card(path)["config"] for path in member.judged_by]
        folds = {config.get("folds", 0) for config in configs}
        if len(folds) > 1 or (folds != {0} and sorted(config["fold"] for config in configs) != list(range(*folds))):
            raise ValueError(f"member {member.name}: runs {', '.join(str(path) for path in member.judged_by)} are not "
                             f"one run with a validation split nor every fold of one --folds sweep")
        if folds == {0} and len(member.judged_by) > 1:
            raise ValueError(f"member {member.name}: {len(member.judged_by)} runs of the same recipe and seed "
                             f"({', '.join(str(path) for path in member.judged_by)}); give one")
        member.judged_by.sort(key=lambda path: read_card(path)["config"].get("fold", 0))
    found = list(members.values())
    if len({member.folds for member in found}) > 1:
        raise ValueError("runs judged out of fold and runs judged on a validation split cannot be compared; "
                         "ship one kind")
    return found


def load_network(path: Path, name: str) -> keras.Model:
    network = keras.saving.load_model(path, compile=False)
    network.name = name
    return network


@dataclass
class Evidence:
    """Answers on images no network of the member trained on: ``labels`` (N,), one (N, classes) array per member.

    ``images`` (N, 28, 28, 1) float32 is kept for the validation split (not out of fold).
    """

    labels: np.ndarray
    probabilities: list[np.ndarray]
    description: str
    images: np.ndarray | None = None


def evidence_for(members: list[Member], arrays: Arrays) -> Evidence:
    """Out-of-fold answers when the members were trained in folds, else answers on their validation split."""
    from digits.training import read_out_of_fold

    (x_train, y_train), _ = arrays
    if members[0].folds:
        answers = []
        for member in members:
            indices, probabilities = zip(*(read_out_of_fold(path) for path in member.judged_by))
            order = np.concatenate(indices)
            if sorted(order.tolist()) != list(range(len(y_train))):
                raise ValueError(f"member {member.name}: its folds' answers do not cover the {len(y_train)} training "
                                 f"images once each; were they trained on other data?")
            collected = np.zeros((len(y_train), probabilities[0].shape[1]), dtype=np.float64)
            collected[order] = np.concatenate(probabilities)
            answers.append(collected)
        return Evidence(y_train, answers, f"out-of-fold answers on all {len(y_train):,} training images "
                                          f"({members[0].folds} folds)")
    fraction = read_card(members[0].judged_by[0])["config"]["validation_split"]
    for member in members:
        if read_card(member.judged_by[0])["config"]["validation_split"] != fraction:
            raise ValueError("the runs held out different validation splits; ship runs with the same one")
    _, (images, labels) = split(scale_mnist(x_train)[..., None], y_train, fraction)
    answers = [load_network(member.judged_by[0], f"member_{index}").predict(images, batch_size=1000, verbose=0)
               for index, member in enumerate(members)]
    return Evidence(labels, answers, f"the validation split ({len(labels):,} training images held out)", images)
