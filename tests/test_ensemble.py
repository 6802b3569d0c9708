"""Shipping: candidates, the choice within a budget, twins, cards and ONNX files."""

import json

import keras
import numpy as np
import pytest

from digits import ensemble, members
from digits.card import card_path
from digits.recognisers import load_recogniser


def test_candidates_cover_singles_per_architecture_and_mixed_averages():
    names = ["best-s0", "best-s1", "compact-s0", "compact-s1", "compact-s2"]
    candidates = ensemble.candidates_of(names, ["best", "best", "compact", "compact", "compact"])
    assert candidates["best-s1"] == [1]
    assert candidates["average of the first 2 best members"] == [0, 1]
    assert candidates["average of the first 3 compact members"] == [2, 3, 4]
    assert candidates["average of the first 1 best and compact members each"] == [0, 2]
    assert candidates["average of the first 2 best and compact members each"] == [0, 1, 2, 3]
    assert len(candidates) == 5 + 1 + 2 + 2
    assert ensemble.candidates_of(["a", "b"], ["compact", "compact"]) == {
        "a": [0], "b": [1], "average of the first 2 compact members": [0, 1]}


def test_ship_writes_default_and_accurate_chosen_out_of_fold(fold_runs, tiny_arrays, tmp_path):
    cards = ensemble.ship([str(fold_runs)], tmp_path, arrays=tiny_arrays, precision="auto")
    assert set(cards) == {"default", "accurate"}
    for name, card in cards.items():
        written = json.loads(card_path(tmp_path / f"{name}.keras").read_text())
        assert written == json.loads(json.dumps(card))
        assert "out-of-fold answers on all 300 training images (2 folds)" in card["selection"]
        assert card["validation"]["samples"] == 300 and card["test"]["samples"] == 100
        assert card["precision"] in ("int8", "float32") and 0.1 <= card["temperature"] <= 3
        recogniser = load_recogniser(tmp_path / f"{name}.onnx")
        keras_model = keras.saving.load_model(tmp_path / f"{name}.keras")
        images = tiny_arrays[1][0][:20].astype("float32") / 255
        if card["precision"] == "float32":
            np.testing.assert_allclose(recogniser.scores(images)[:, :10], keras_model.predict(images[..., None],
                                                                                               verbose=0), atol=1e-4)
    # The member with a twin is shipped as the twin; the other as its two fold networks.
    runs = [member["run"] for member in cards["accurate"]["members"]]
    if len(runs) == 3:
        assert runs == ["fast-fast-s0-all.keras", "fast-fast-s1-fold0of2.keras", "fast-fast-s1-fold1of2.keras"]


def test_a_budget_leaves_out_the_candidates_over_it(fold_runs, tiny_arrays):
    found = members.members_of(members.run_paths([str(fold_runs)]))
    evidence = members.evidence_for(found, tiny_arrays)
    one = ensemble.member_cost(found[0])
    choices, scores = ensemble.choose(found, evidence, max_multiply_adds=one)
    assert scores["fast-fast-s1"]["multiply_adds"] == 2 * one  # two fold networks, no twin
    assert choices[0].candidate == "fast-fast-s0"
    with pytest.raises(ValueError, match="no candidate within 1 multiply-adds"):
        ensemble.choose(found, evidence, max_multiply_adds=1)
    # Only the accurate model asked for: the budget does not matter, the choice is the same.
    only, _ = ensemble.choose(found, evidence, max_multiply_adds=1, names=("accurate",))
    assert [choice.name for choice in only] == ["accurate"] and only[0].candidate == choices[1].candidate
    with pytest.raises(ValueError, match="choose among default, accurate"):
        ensemble.choose(found, evidence, names=())


def test_ship_only_accurate_writes_that_model_alone(fold_runs, tiny_arrays, tmp_path):
    cards = ensemble.ship([str(fold_runs)], tmp_path, arrays=tiny_arrays, precision="float32", only=("accurate",))
    assert set(cards) == {"accurate"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["accurate.card.json", "accurate.keras",
                                                               "accurate.onnx"]
    assert cards["accurate"]["reproduce"].endswith("--precision float32 --only accurate")
    for only, message in (((), "only nothing: choose among"), (("best",), "only best: choose among")):
        with pytest.raises(ValueError, match=message):
            ensemble.ship([str(fold_runs)], tmp_path, arrays=tiny_arrays, only=only)
    with pytest.raises(ValueError, match="give one of them"):
        ensemble.ship([str(fold_runs)], tmp_path, arrays=tiny_arrays, as_name="pair", only=("accurate",))


def test_ship_as_a_name_averages_the_runs_given_judged_on_the_validation_split(split_runs, tiny_arrays, tmp_path):
    cards = ensemble.ship([str(split_runs / "fast-fast-s1.keras"), str(split_runs / "fast-fast-s0.keras")], tmp_path,
                          arrays=tiny_arrays, as_name="pair", precision="float32")
    card = cards["pair"]
    assert card["validation"]["samples"] == 60 and "the validation split (60 training images held out)" in card[
        "selection"]
    assert [member["run"] for member in card["members"]] == ["fast-fast-s1.keras", "fast-fast-s0.keras"]
    # The recipe the members share; where they differ (the seed) each member's entry says.
    assert card["config"]["seed"] is None and card["config"]["preset"] == "fast" and card["config"]["arch"] == "fast"
    assert [(member["seed"], member["mnist_repeats"]) for member in card["members"]] == [(1, 1), (0, 1)]
    assert (tmp_path / "pair.onnx").exists() and card["precision"] == "float32"
    assert card["reproduce"] == (f"digits ship {split_runs / 'fast-fast-s1.keras'} {split_runs / 'fast-fast-s0.keras'} "
                                 f"--out {tmp_path} --as pair --precision float32")


def test_the_command_reports_runs_it_cannot_use_in_one_line(tmp_path, capsys):
    from digits.cli import main

    assert main(["ship", str(tmp_path / "gone.keras")]) == 1
    (tmp_path / "empty").mkdir()
    assert main(["ship", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"digits: error: run {tmp_path / 'gone.keras'}: no such file or folder",
        f"digits: error: no trained runs in {tmp_path / 'empty'}: train some with `digits sweep`"]
