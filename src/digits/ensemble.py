"""Make shipped models from trained runs: candidate averages, the choice, temperature, precision, card.

Members and the held-out answers that judge them come from ``digits.members`` (out of
fold when the runs were trained in folds, else on the validation split). Candidates
(``candidates_of``): each member alone; for each network the averages of its first k
members; with several networks, the first k members of each together. ``ship`` writes
``default``, the most accurate candidate within a budget of multiply-adds per image, and
``accurate``, the most accurate of all; or, given a name, the runs given averaged
without a choice. A temperature is fitted on the same answers; the ONNX file is int8
when that costs no accuracy on held-out images (or as asked).

A member is shipped as its refit twin when there is one; else, with folds, as its K
fold networks averaged; else as its run. The test set is scored once per model, after
every choice.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from digits.card import model_card, read_card, write_card
from digits.config import TrainConfig
from digits.data import Arrays, arrays_checksum, held_out, split
from digits.evaluation import best_temperature, metrics, rescale
from digits.exporting import export
from digits.files import atomic_path
from digits.members import Evidence, Member, evidence_for, load_network, members_of, run_paths
from digits.model import average, multiply_adds
from digits.recognisers import SHIPPED_MODELS
from digits.preprocess import scale_mnist

# 12 M multiply-adds per image: measured on 2 cores, int8 ONNX Runtime serves about
# 30,000 images/s at 7.5 M and 11,000 at 30 M; a straight line through those two points
# gives about 22,000 at 12 M, above the 20,000 the default model is held to.
MAX_MULTIPLY_ADDS = 12_000_000
PRECISIONS = ("auto", "int8", "float32")


def candidates_of(names: list[str], archs: list[str]) -> dict[str, list[int]]:
    """Each member alone; for each architecture the averages of its first k members; with
    several architectures, the averages of the first k members of each of them together."""
    candidates = {name: [index] for index, name in enumerate(names)}
    by_arch = defaultdict(list)
    for index, arch in enumerate(archs):
        by_arch[arch].append(index)
    for arch, indices in by_arch.items():
        for count in range(2, len(indices) + 1):
            candidates[f"average of the first {count} {arch} members"] = indices[:count]
    if len(by_arch) > 1:
        together = " and ".join(sorted(by_arch))
        for count in range(1, min(len(indices) for indices in by_arch.values()) + 1):
            chosen = sorted(index for indices in by_arch.values() for index in indices[:count])
            candidates[f"average of the first {count} {together} members each"] = chosen
    return candidates


def shipped_networks(members: list[Member]) -> list[keras.Model]:
    return [load_network(path, f"member_{index}_{position}")
            for index, member in enumerate(members) for position, path in enumerate(member.shipped_runs())]


def member_cost(member: Member) -> int:
    return sum(multiply_adds(keras.saving.load_model(path, compile=False)) for path in member.shipped_runs())


@dataclass
class Choice:
    """A candidate chosen for a model ``name``, and the rule that chose it."""

    name: str
    candidate: str
    indices: list[int]
    rule: str


def check_names(names: tuple[str, ...], what: str) -> None:
    """Refuse ``names`` that are empty or not all shipped models' names (``what`` names them in the message)."""
    if not names or set(names) - set(SHIPPED_MODELS):
        raise ValueError(f"{what} {', '.join(names) or 'nothing'}: choose among {', '.join(SHIPPED_MODELS)}")


def choose(members: list[Member], evidence: Evidence, max_multiply_adds: int = MAX_MULTIPLY_ADDS,
           names: tuple[str, ...] = SHIPPED_MODELS) -> tuple[list[Choice], dict[str, dict]]:
    """The choices ``names`` asks for: ``default`` (most accurate within the budget) and ``accurate`` (most
    accurate); and every candidate's scores.

    Ties go to the cheaper, then the lower loss.
    """
    check_names(names, "choices")
    costs = [member_cost(member) for member in members]
    candidates = candidates_of([member.name for member in members], [member.arch for member in members])
    scores = {}
    for name, indices in candidates.items():
        probabilities = sum(evidence.probabilities[index] for index in indices) / len(indices)
        scores[name] = {**metrics(probabilities, evidence.labels), "multiply_adds": sum(costs[i] for i in indices)}

    def most_accurate(names: list[str]) -> str:
        return max(names, key=lambda name: (scores[name]["accuracy"], -scores[name]["multiply_adds"],
                                            -scores[name]["loss"]))

    choices = []
    if "default" in names:
        affordable = [name for name in candidates if scores[name]["multiply_adds"] <= max_multiply_adds]
        if not affordable:
            raise ValueError(f"no candidate within {max_multiply_adds:,} multiply-adds per image; raise "
                             f"--max-multiply-adds, ship smaller networks, or ship --only accurate")
        default = most_accurate(affordable)
        choices.append(Choice("default", default, candidates[default],
                              f"of the candidates within {max_multiply_adds:,} multiply-adds per image the most "
                              f"accurate"))
    if "accurate" in names:
        accurate = most_accurate(list(candidates))
        choices.append(Choice("accurate", accurate, candidates[accurate],
                              "the most accurate candidate, whatever its cost"))
    return choices, scores


def drawn_evidence(arrays: Arrays, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Drawn validation images (``digits.synthetic``, a seed no run trained on): (images, labels)."""
    from digits.synthetic import training_set
    from digits.training import SYNTHETIC_SEED

    (x_train, y_train), _ = arrays
    (x_fit, y_fit), _ = split(x_train, y_train, TrainConfig().validation_split)
    drawn, labels = training_set(count, SYNTHETIC_SEED + 1, x_fit, y_fit)
    return scale_mnist(drawn)[..., None], labels


def check_set(members: list[Member], evidence: Evidence, arrays: Arrays) -> tuple[list[keras.Model], np.ndarray,
                                                                                  np.ndarray]:
    """Networks and held-out images on which a float32 and an int8 export can be compared fairly.

    The validation split for its runs; out of fold, the first fold's networks on the first fold.
    """
    if evidence.images is not None:
        return [load_network(member.judged_by[0], f"check_{index}") for index, member in
                enumerate(members)], evidence.images, evidence.labels
    (x_train, y_train), _ = arrays
    rows = held_out(len(x_train), 0.0, 0, members[0].folds)
    networks = [load_network(member.judged_by[0], f"check_{index}") for index, member in enumerate(members)]
    return networks, scale_mnist(x_train[rows])[..., None], y_train[rows]


def choose_precision(networks: list[keras.Model], temperature: float, images: np.ndarray, labels: np.ndarray,
                     precision: str) -> tuple[str, dict, dict | None]:
    """(precision, float32 scores, int8 scores or ``None``): ``auto`` is int8 when it scores at least float32's."""
    from digits.recognisers import OnnxRecogniser

    model = average(networks, temperature=temperature)
    float_scores = metrics(model.predict(images, batch_size=1000, verbose=0), labels)
    if precision == "float32":
        return precision, float_scores, None
    with tempfile.TemporaryDirectory() as folder:
        keras_path = Path(folder) / "model.keras"
        model.save(keras_path)
        int8_path = Path(folder) / "model.onnx"
        export(keras_path, int8_path, precision="int8", check_images=images[:10, ..., 0],
               calibration_images=images[:2000, ..., 0])
        int8_scores = metrics(OnnxRecogniser(int8_path).scores(images[..., 0])[:, :model.output_shape[-1]], labels)
    if precision == "auto":
        precision = "int8" if int8_scores["accuracy"] >= float_scores["accuracy"] else "float32"
    return precision, float_scores, int8_scores


def write_model(name: str, members: list[Member], indices: list[int], evidence: Evidence, arrays: Arrays,
                out: str | os.PathLike, selection: str, precision: str = "auto", drawn: int = 0,
                reproduce: str = "") -> dict:
    """Fit the temperature, decide the precision, write ``out/NAME.keras``, ``.onnx`` and card; return the card."""
    chosen = [members[index] for index in indices]
    probabilities = sum(evidence.probabilities[index] for index in indices) / len(indices)
    labels = evidence.labels
    drawn_images = drawn_labels = drawn_probabilities = None
    if drawn:
        if probabilities.shape[1] != 11:
            raise ValueError("drawn validation images hold non-digits: they need models with a 'not a digit' output "
                             "(trained with --synthetic)")
        drawn_images, drawn_labels = drawn_evidence(arrays, drawn)
        judges = [average([load_network(path, f"judge_{i}_{p}") for p, path in enumerate(member.judged_by)])
                  for i, member in enumerate(chosen)]
        drawn_probabilities = sum(judge.predict(drawn_images, batch_size=1000, verbose=0) for judge in judges) / len(
            judges)
        probabilities = np.concatenate([probabilities, drawn_probabilities])
        labels = np.concatenate([labels, drawn_labels])
    temperature = best_temperature(probabilities, labels)
    networks, images, check_labels = check_set(chosen, evidence, arrays)
    precision, float_scores, int8_scores = choose_precision(networks, temperature, images, check_labels, precision)

    model = average(shipped_networks(chosen), temperature=temperature, name=name)
    keras_path = Path(out) / f"{name}.keras"
    with atomic_path(keras_path) as temporary:
        model.save(temporary)
    _, (x_test, y_test) = arrays
    test = metrics(model.predict(scale_mnist(x_test)[..., None], batch_size=1000, verbose=0), y_test)
    cards = [read_card(path) for member in chosen for path in member.shipped_runs()]
    mnist_count = len(evidence.labels)
    rescaled = rescale(probabilities, temperature)
    details = {
        "members": [{"arch": card["config"]["arch"], "seed": card["config"]["seed"], "run": path.name,
                     "epochs": card["config"].get("epochs"), "mnist_repeats": card["config"].get("mnist_repeats", 1),
                     "init_from": card["config"].get("init_from", ""), "train_images": card.get("train_images"),
                     "train_seconds": card.get("train_seconds")}
                    for card, path in zip(cards, [path for member in chosen for path in member.shipped_runs()])],
        "temperature": temperature,
        "multiply_adds": multiply_adds(model),
        "precision": precision,
        "classes": "ten digits and 'not a digit'" if model.output_shape[-1] == 11 else "ten digits",
    }
    if drawn:
        details["validation_drawn"] = metrics(rescaled[mnist_count:], labels[mnist_count:])
    details["validation_onnx"] = int8_scores if precision == "int8" else float_scores
    details["reproduce"] = reproduce
    twins = all(member.twin for member in chosen)
    shipped_as = ("the members shipped are their twins trained on all 60,000 training images (same recipe and "
                  "seed), so the held-out figures are their held-out runs'" if twins else
                  "each member shipped as its fold networks averaged" if evidence.images is None else
                  "each member shipped as the run judged")
    text = (f"{selection}; judged on {evidence.description}; temperature fitted on the same answers"
            + (f" and on {drawn:,} drawn validation images" if drawn else "")
            + f"; the ONNX model is {precision} (float32 {float_scores['accuracy']:.4f}"
            + (f", int8 {int8_scores['accuracy']:.4f}" if int8_scores else "")
            + f" on {len(check_labels):,} held-out images); {shipped_as}; the test set was scored once afterwards")
    config = shared_recipe([TrainConfig(**card["config"]) for card in cards]) | {
        "out": "", "arch": "+".join(sorted({m.arch for m in chosen}))}
    card = model_card(keras_path.name, config, model.count_params(), text,
                      metrics(rescaled[:mnist_count], evidence.labels), test, arrays_checksum(arrays),
                      cards[0].get("history", []), **details)
    write_card(keras_path, card)
    export(keras_path, keras_path.with_suffix(".onnx"), precision=precision, check_images=images[:512, ..., 0],
           calibration_images=images[:2000, ..., 0])
    return card


def shared_recipe(configs: list[TrainConfig]) -> dict:
    """The settings all ``configs`` share; a setting on which they differ is ``None`` (each member's card has its own)."""
    settings = [dataclasses.asdict(config) for config in configs]
    return {name: value if all(other[name] == value for other in settings) else None
            for name, value in settings[0].items()}


def ship(runs: list[str], out: str | os.PathLike, arrays: Arrays | None = None, as_name: str | None = None,
         max_multiply_adds: int = MAX_MULTIPLY_ADDS, precision: str = "auto", drawn: int = 0,
         only: tuple[str, ...] = SHIPPED_MODELS) -> dict[str, dict]:
    """Choose and write ``default`` and ``accurate`` from ``runs`` (or, with ``as_name``, the runs averaged as that).

    Args:
        runs: ``.keras`` runs with cards, or folders of them.
        out: folder for NAME.keras, NAME.onnx and NAME.card.json.
        arrays: MNIST (``load_mnist()`` when ``None``); tests pass tiny arrays.
        precision: ``auto`` (int8 when it costs no held-out accuracy), ``int8`` or ``float32``.
        drawn: drawn validation images added to the temperature's fit (and scored on the card).
        only: which of ``default`` and ``accurate`` to choose and write (both by default).

    Returns:
        ``{name: card}`` for each model written.

    Raises:
        ValueError: runs that cannot be judged (no card, nothing held out, mixed kinds, folds
            missing), an unknown precision, no candidate within the budget (when ``default``
            is asked for), or ``only`` naming nothing, something else, or given with ``as_name``.
    """
    from digits.data import load_mnist

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    if drawn < 0:
        raise ValueError(f"drawn validation images {drawn}: expected 0 or more")
    check_names(only, "only")
    if as_name and tuple(only) != SHIPPED_MODELS:
        raise ValueError("--only chooses among the candidates; --as ships the runs given without a choice: "
                         "give one of them")
    members = members_of(run_paths(runs))
    arrays = arrays if arrays is not None else load_mnist()
    evidence = evidence_for(members, arrays)
    reproduce = " ".join(["digits ship", *map(str, runs), "--out", str(out)]
                         + (["--as", as_name] if as_name else [])
                         + (["--max-multiply-adds", str(max_multiply_adds)]
                            if max_multiply_adds != MAX_MULTIPLY_ADDS and not as_name else [])
                         + (["--precision", precision] if precision != "auto" else [])
                         + (["--drawn-validation", str(drawn)] if drawn else [])
                         + (["--only", *only] if tuple(only) != SHIPPED_MODELS and not as_name else []))
    if as_name:
        everyone = list(range(len(members)))
        rule = f"the members given ({', '.join(member.name for member in members)}), averaged"
        return {as_name: write_model(as_name, members, everyone, evidence, arrays, out, rule, precision, drawn,
                                     reproduce)}
    choices, scores = choose(members, evidence, max_multiply_adds, tuple(only))
    written = {}
    for choice in choices:
        rule = f"chosen among {len(scores)} candidates ({', '.join(sorted(scores))}): {choice.rule}, {choice.candidate}"
        written[choice.name] = write_model(choice.name, members, choice.indices, evidence, arrays, out, rule,
                                           precision, drawn, reproduce)
    return written
