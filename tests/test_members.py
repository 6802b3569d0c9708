"""Members: runs grouped by recipe and seed, judged out of fold or on their validation split."""

import shutil

import keras
import numpy as np
import pytest

from digits import members


def test_twins_and_folds_share_the_recipe_but_not_the_split_or_path():
    held_out = {"config": {"arch": "best", "seed": 1, "validation_split": 0.1, "out": "runs/best-s1.keras"}}
    fold = {"config": {"arch": "best", "seed": 1, "folds": 5, "fold": 3, "out": "runs/best-s1-fold3of5.keras"}}
    refit = {"config": {"arch": "best", "seed": 1, "validation_split": 0.0, "out": "runs/best-s1-all.keras"}}
    other_seed = {"config": {"arch": "best", "seed": 2, "validation_split": 0.0, "out": "runs/best-all-s2.keras"}}
    assert members.recipe_key(held_out) == members.recipe_key(refit) == members.recipe_key(fold)
    assert members.recipe_key(held_out) != members.recipe_key(other_seed)
    # A run carded before a setting existed matches one carded with that setting at its default.
    newer = {"config": refit["config"] | {"elastic": 0.0}}
    assert members.recipe_key(held_out) == members.recipe_key(newer)
    assert members.recipe_key(held_out) != members.recipe_key({"config": newer["config"] | {"elastic": 0.5}})

def test_fold_runs_are_judged_out_of_fold_on_every_training_image(fold_runs, tiny_arrays):
    found = members.members_of(members.run_paths([str(fold_runs)]))
    assert [(member.name, len(member.judged_by), member.twin is not None) for member in found] == [
        ("fast-fast-s0", 2, True), ("fast-fast-s1", 2, False)]
    evidence = members.evidence_for(found, tiny_arrays)
    assert evidence.labels.tolist() == tiny_arrays[0][1].tolist() and evidence.images is None
    # Each image's answer comes from the fold network that did not train on it.
    network = keras.saving.load_model(fold_runs / "fast-fast-s1-fold1of2.keras")
    expected = network.predict(tiny_arrays[0][0][150:].astype("float32")[..., None] / 255, verbose=0)
    np.testing.assert_allclose(evidence.probabilities[1][150:], expected, atol=1e-5)

def test_runs_that_cannot_be_judged_are_refused(fold_runs, split_runs, tmp_path, tiny_arrays):
    with pytest.raises(ValueError, match="nothing held out to judge it by"):
        members.members_of([fold_runs / "fast-fast-s0-all.keras"])
    with pytest.raises(ValueError, match="not one run with a validation split nor every fold"):
        members.members_of([fold_runs / "fast-fast-s0-fold0of2.keras"])
    with pytest.raises(ValueError, match="cannot be compared"):
        members.members_of([*fold_runs.glob("fast-fast-s1-fold*.keras"), split_runs / "fast-fast-s0.keras"])
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        members.run_paths([str(tmp_path / "gone")])
    shutil.copy(split_runs / "fast-fast-s0.keras", tmp_path / "bare.keras")
    with pytest.raises(ValueError, match="has no card"):
        members.members_of([tmp_path / "bare.keras"])
