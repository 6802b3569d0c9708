"""`digits sweep`: one config per run, named for its network, seed and fold; done runs skipped; runs resumed."""

import json

import pytest

from digits.card import card_path
from digits.config import TrainConfig
from digits.engines import ProcessEngine
from digits.sweep import Sweep, is_done, parse_seeds, pending, run_sweep


def tiny_recipe(**changes):
    return TrainConfig(**{"preset": "fast", "arch": "fast", "epochs": 1, "batch_size": 64, **changes})


def test_seeds_are_numbers_and_ranges():
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("0,3,5-6,3") == [0, 3, 5, 6]
    for text in ("", "a", "3-1", "1-2-3"):
        with pytest.raises(ValueError, match="seeds"):
            parse_seeds(text)


def test_folds_give_each_member_one_run_per_fold_and_a_refit_twin(tmp_path):
    configs = Sweep(tiny_recipe(), ("fast", "compact"), (0, 1), folds=3, refit=True, out=str(tmp_path)).runs()
    assert len(configs) == 2 * 2 * 4
    first = configs[:4]
    assert [config.out for config in first] == [f"{tmp_path}/fast-fast-s0-fold{k}of3.keras" for k in range(3)] + [
        f"{tmp_path}/fast-fast-s0-all.keras"]
    assert [(config.folds, config.fold, config.validation_split) for config in first] == [
        (3, 0, 0.1), (3, 1, 0.1), (3, 2, 0.1), (0, 0, 0.0)]
    assert {(config.arch, config.seed) for config in configs} == {(a, s) for a in ("fast", "compact") for s in (0, 1)}
    plain = Sweep(tiny_recipe(), ("fast",), (4,), out="runs").runs()
    assert [config.out for config in plain] == ["runs/fast-fast-s4.keras"]
    with pytest.raises(ValueError, match="arch 'huge'"):
        Sweep(tiny_recipe(), ("huge",), (0,)).runs()


def test_a_sweep_trains_what_is_missing_resumes_what_was_cut_and_skips_what_is_done(tmp_path, tiny_arrays):
    from digits.training import checkpoint_dir, train

    configs = Sweep(tiny_recipe(epochs=2), ("fast",), (0,), folds=2, refit=True, out=str(tmp_path)).runs()
    # The first fold was trained before; the second was cut after one of its two epochs.
    train(configs[0], data=tiny_arrays, verbose=0)
    before = card_path(configs[0].out).read_text()

    import keras

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(configs[1], data=tiny_arrays, verbose=0, callbacks=[Stop()])
    assert checkpoint_dir(tmp_path / "fast-fast-s0-fold1of2.keras").exists()
    with ProcessEngine(workers=1, start_method="spawn") as engine:
        outcomes = list(run_sweep(configs, engine, data=tiny_arrays))
    assert sorted(outcome.item.out for outcome in outcomes) == sorted(config.out for config in configs[1:])
    assert all(outcome.error is None and not outcome.lost for outcome in outcomes)
    assert all(is_done(config) for config in configs)
    assert card_path(configs[0].out).read_text() == before
    resumed = json.loads(card_path(configs[1].out).read_text())
    assert resumed["resumed"] is True and [row["epoch"] for row in resumed["history"]] == [1, 2]
    refit = [outcome.result for outcome in outcomes if outcome.item.out.endswith("-all.keras")][0]
    assert refit.validation_accuracy is None
    with ProcessEngine(workers=1, start_method="spawn") as engine:
        assert list(run_sweep(configs, engine, data=tiny_arrays)) == []


def test_on_dask_a_failing_run_is_reported_and_the_others_still_train(tmp_path, tiny_arrays, dask_engine):
    configs = [tiny_recipe(out=str(tmp_path / "ok.keras")),
               tiny_recipe(out=str(tmp_path / "bad.keras"), learning_rate=float("inf"))]
    outcomes = {outcome.item.out: outcome for outcome in run_sweep(configs, dask_engine, data=tiny_arrays)}
    assert outcomes[str(tmp_path / "ok.keras")].result.validation_accuracy is not None
    assert outcomes[str(tmp_path / "bad.keras")].error.startswith("ValueError: learning_rate inf")


def test_the_command_skips_runs_with_cards_and_says_so(tmp_path, capsys):
    from digits.cli import main

    for seed in (0, 1):
        card_path(tmp_path / f"fast-fast-s{seed}.keras").write_text("{}")
    assert main(["sweep", "--preset", "fast", "--seeds", "0-1", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "2 runs: 2 done before, 0 to train" in captured.err and "2 of 2 runs done" in captured.out
    assert main(["sweep", "--seeds", "1-0", "--out", str(tmp_path)]) == 1
    assert main(["sweep", "--folds", "1", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "digits: error: seeds '1-0': range 1-0 runs backwards",
        "digits: error: folds 1: expected 0 (no folds) or a whole number of at least 2"]


def test_a_run_found_at_its_path_with_other_settings_is_refused_not_taken_for_done(tmp_path, capsys):
    from dataclasses import asdict

    from digits.cli import main
    from digits.config import preset

    trained = preset("fast").replace(seed=0, out=str(tmp_path / "fast-fast-s0.keras"))
    card_path(trained.output_path()).write_text(json.dumps({"config": asdict(trained)}))
    assert main(["sweep", "--preset", "fast", "--seeds", "0", "--out", str(tmp_path)]) == 0
    assert "1 runs: 1 done before, 0 to train" in capsys.readouterr().err
    assert main(["sweep", "--preset", "fast", "--seeds", "0", "--epochs", "3", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"digits: error: {trained.output_path()} was trained with other settings: epochs 2 (asked: 3); "
        f"give this sweep another --out")
    # A cut run's checkpoint counts the same way: it would be resumed with its own settings.
    started = trained.replace(out=str(tmp_path / "fast-fast-s1.keras"), seed=1)
    folder = tmp_path / "fast-fast-s1.keras.checkpoint"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(asdict(started)))
    with pytest.raises(ValueError, match=r"fast-fast-s1.keras was trained with other settings: learning_rate"):
        pending([started.replace(learning_rate=1e-3)])
