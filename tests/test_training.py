import json

import keras
import numpy as np
import pytest

from digits.card import card_path
from digits.config import PRESETS, TrainConfig, preset
from digits.data import split
from digits.training import checkpoint_dir, history_path, learning_rate, read_out_of_fold, train


def tiny_config(tmp_path, **changes):
    fields = dict(preset="fast", arch="fast", epochs=1, batch_size=64, out=str(tmp_path / "model.keras"))
    fields.update(changes)
    return TrainConfig(**fields)


def test_train_saves_model_card_and_history(tmp_path, tiny_arrays):
    config = tiny_config(tmp_path, epochs=2, validation_split=0.2)
    card = train(config, data=tiny_arrays, verbose=0)
    out = tmp_path / "model.keras"
    assert keras.saving.load_model(out).output_shape == (None, 10)
    written = json.loads(card_path(out).read_text())
    assert written == json.loads(json.dumps(card))
    assert card["config"]["epochs"] == 2 and card["config"]["arch"] == "fast"
    assert card["train_images"] == 240 and card["validation_images"] == 60
    assert card["validation"]["samples"] == 60 and card["test"]["samples"] == 100
    assert set(card["test"]) >= {"accuracy", "loss", "errors", "per_class_accuracy"}
    assert [row["epoch"] for row in card["history"]] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(card["history"][0])
    assert history_path(out).exists()
    assert card["data_sha256"] and card["versions"]["keras"] == keras.__version__
    # Nothing half-written or left over beside the model.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.card.json", "model.history.csv", "model.keras"]


def test_training_on_every_image_has_no_validation_scores(tmp_path, tiny_arrays):
    card = train(tiny_config(tmp_path, validation_split=0.0, ema_momentum=0.9), data=tiny_arrays, verbose=0)
    assert card["train_images"] == 300 and card["validation_images"] == 0 and card["validation"] is None
    assert card["test"]["samples"] == 100
    assert card["history"][0]["epoch"] == 1 and not any(key.startswith("val_") for key in card["history"][0])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.card.json", "model.history.csv", "model.keras"]


def test_h5_output_and_every_recipe_feature(tmp_path, tiny_arrays):
    config = tiny_config(tmp_path, out=str(tmp_path / "model.h5"), augment=1.0, ink_augment=0.2, elastic=0.5,
                         ema_momentum=0.9, label_smoothing=0.1, schedule="onecycle", warmup_fraction=0.5)
    train(config, data=tiny_arrays, verbose=0)
    model = keras.saving.load_model(tmp_path / "model.h5", compile=False)
    # The saved model is the bare network: augmentation is for training only.
    assert model.name == "fast"


def test_same_seed_gives_the_same_weights(tmp_path, tiny_arrays):
    weights = []
    for run in ("a", "b"):
        train(tiny_config(tmp_path / run, seed=7), data=tiny_arrays, verbose=0)
        weights.append(keras.saving.load_model(tmp_path / run / "model.keras").get_weights())
    for first, second in zip(*weights):
        np.testing.assert_array_equal(first, second)


class StopAfter(keras.callbacks.Callback):
    """Interrupts training as Ctrl-C would, after ``epochs`` epochs."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs:
            raise KeyboardInterrupt


class CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_interrupted_training_resumes_without_repeating_epochs(tmp_path, tiny_arrays):
    config = tiny_config(tmp_path, epochs=3)
    out = tmp_path / "model.keras"
    with pytest.raises(KeyboardInterrupt):
        train(config, data=tiny_arrays, verbose=0, callbacks=[StopAfter(2)])
    assert not out.exists() and checkpoint_dir(out).exists()
    counter = CountEpochs()
    # Flags given on resume are ignored: the saved run's config wins.
    card = train(config.replace(epochs=50), data=tiny_arrays, resume=True, verbose=0, callbacks=[counter])
    assert counter.epochs == [2]
    assert card["resumed"] is True and card["config"]["epochs"] == 3
    assert [row["epoch"] for row in card["history"]] == [1, 2, 3]
    assert out.exists() and not checkpoint_dir(out).exists()


def test_resume_without_a_checkpoint_says_so(tmp_path, tiny_arrays):
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        train(tiny_config(tmp_path), data=tiny_arrays, resume=True, verbose=0)


def test_validation_is_the_end_of_the_training_set():
    images, labels = np.arange(100), np.arange(100)
    (fit_images, _), (validation_images, validation_labels) = split(images, labels, 0.1)
    assert fit_images.tolist() == list(range(90)) and validation_labels.tolist() == list(range(90, 100))
    with pytest.raises(ValueError, match="validation_split"):
        split(images, labels, 1.0)


def test_onecycle_warms_up_then_decays_to_zero():
    config = preset("best").replace(epochs=2, learning_rate=1e-2, warmup_fraction=0.25)
    schedule = learning_rate(config, steps_per_epoch=100)
    rates = [float(schedule(step)) for step in (0, 50, 100, 199)]
    assert rates[0] == pytest.approx(1e-3) and rates[1] == pytest.approx(1e-2, rel=1e-3)
    assert rates[1] > rates[2] > rates[3] and rates[3] < 1e-4
    assert learning_rate(PRESETS["tutorial"], 100) == 1e-3


def test_flags_override_a_preset_and_unknown_names_fail():
    assert preset("best").replace(epochs=3, seed=None).epochs == 3
    assert preset("best").replace(seed=None).seed == 0
    with pytest.raises(ValueError, match="unknown preset"):
        preset("slow")
    with pytest.raises(ValueError, match="unknown training settings"):
        preset("best").replace(dropout=0.5)


def test_ink_augmentation_thickens_blurs_or_fades_and_is_off_at_inference():
    from digits.augment import RandomInk

    images = np.zeros((64, 28, 28, 1), dtype=np.float32)
    images[:, 8:20, 13:15] = 1.0
    augmented = np.asarray(RandomInk(0.3, seed=3)(images, training=True))
    sums = augmented.reshape(64, -1).sum(axis=1)
    assert (sums > 24).any() and (sums < 24).any() and np.isclose(sums, 24).any()
    assert augmented.min() >= 0 and augmented.max() <= 1
    np.testing.assert_array_equal(np.asarray(RandomInk(0.3)(images, training=False)), images)


def test_bilinear_sampling_reads_between_pixels_and_zero_outside():
    from digits.augment import bilinear_sample

    images = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5)
    rows, columns = np.meshgrid(np.arange(4, dtype=np.float32), np.arange(5, dtype=np.float32), indexing="ij")
    rows, columns = np.broadcast_to(rows, images.shape), np.broadcast_to(columns, images.shape)
    np.testing.assert_allclose(np.asarray(bilinear_sample(images, rows, columns)), images)
    half_down = np.asarray(bilinear_sample(images, rows + 0.5, columns))
    np.testing.assert_allclose(half_down[:, :3], (images[:, :3] + images[:, 1:]) / 2)
    # Below the last row, half the weight falls outside the image, where it reads 0.
    np.testing.assert_allclose(half_down[:, 3], images[:, 3] / 2)
    np.testing.assert_allclose(np.asarray(bilinear_sample(images, rows, columns - 9)), 0)


def test_elastic_distortion_bends_strokes_smoothly_and_is_off_at_inference():
    from digits.augment import ELASTIC_PIXELS, RandomElastic

    images = np.zeros((64, 28, 28, 1), dtype=np.float32)
    images[:, 6:22, 13:15] = 1.0
    warped = np.asarray(RandomElastic(0.5, seed=3)(images, training=True))
    changed = np.abs(warped - images).reshape(64, -1).max(axis=1) > 1e-4
    # About half the images are warped (rate 0.5), the rest left exactly as they were.
    assert 16 <= changed.sum() <= 48
    np.testing.assert_array_equal(warped[~changed], images[~changed])
    # A warp squeezes some strokes and stretches others, but on the whole keeps the ink.
    ink = warped.reshape(64, -1).sum(axis=1)[changed]
    assert abs(np.median(ink) - 32) < 6 and np.all(ink > 12)
    assert warped.min() >= 0 and warped.max() <= 1
    np.testing.assert_array_equal(np.asarray(RandomElastic(0.5)(images, training=False)), images)

    # On a ramp whose value is the row number, the warped value reads the vertical displacement.
    rows = np.broadcast_to(np.arange(28, dtype=np.float32).reshape(1, 28, 1, 1), (32, 28, 28, 1))
    moved = np.asarray(RandomElastic(1.0, seed=5)(rows, training=True))[:, 6:22, 6:22, 0] - rows[:, 6:22, 6:22, 0]
    # Displacements of about ELASTIC_PIXELS, and neighbours move together (white noise would
    # differ from pixel to pixel by more than its own spread).
    assert 0.5 * ELASTIC_PIXELS < moved.std() < 1.5 * ELASTIC_PIXELS
    assert np.diff(moved, axis=1).std() < 0.4 * moved.std() and np.diff(moved, axis=2).std() < 0.4 * moved.std()


@pytest.fixture(scope="module")
def arrays_512():
    """512 MNIST-shaped training images (noise over a faint per-class stripe) and 100 test images."""
    generator = np.random.default_rng(5)
    labels = (np.arange(612) % 10).astype(np.uint8)
    images = generator.integers(0, 96, size=(612, 28, 28), dtype=np.uint8)
    images[np.arange(612), 2 + 2 * labels] += 150
    return (images[:512], labels[:512]), (images[512:], labels[512:])


def test_a_resumed_run_matches_an_uninterrupted_one(tmp_path, arrays_512):
    # Every stateful part of a recipe: augmentation generators, EMA, a schedule, label smoothing.
    recipe = dict(epochs=2, batch_size=48, validation_split=0.25, augment=1.0, ink_augment=0.2, elastic=0.3,
                  ema_momentum=0.9, label_smoothing=0.1, schedule="onecycle", warmup_fraction=0.3, seed=3)
    whole = tiny_config(tmp_path / "whole", **recipe)
    train(whole, data=arrays_512, verbose=0)
    halves = tiny_config(tmp_path / "halves", **recipe)
    with pytest.raises(KeyboardInterrupt):
        train(halves, data=arrays_512, verbose=0, callbacks=[StopAfter(1)])
    counter = CountEpochs()
    card = train(halves, data=arrays_512, resume=True, verbose=0, callbacks=[counter])
    assert counter.epochs == [1] and card["resumed"] is True
    uninterrupted = keras.saving.load_model(tmp_path / "whole" / "model.keras").get_weights()
    resumed = keras.saving.load_model(tmp_path / "halves" / "model.keras").get_weights()
    for first, second in zip(uninterrupted, resumed):
        np.testing.assert_allclose(second, first, rtol=0, atol=1e-6)


def test_the_epoch_order_depends_on_seed_and_epoch_only():
    from digits.checkpoint import batches, epoch_order

    assert sorted(epoch_order(0, 1, 10)) == list(range(10))
    assert (epoch_order(0, 1, 10) == epoch_order(0, 1, 10)).all()
    assert not (epoch_order(0, 1, 10) == epoch_order(0, 2, 10)).all()
    images, targets = np.arange(10), np.arange(10) * 2
    batched = list(batches(images, targets, 4, seed=0, first_epoch=1, epochs=3))
    assert [len(x) for x, _ in batched] == [4, 4, 2, 4, 4, 2]
    assert all((y == 2 * x).all() for x, y in batched)
    # Resuming at epoch 2 gives exactly the batches an uninterrupted run gives from epoch 2.
    resumed = list(batches(images, targets, 4, seed=0, first_epoch=2, epochs=3))
    assert all((a[0] == b[0]).all() for a, b in zip(resumed, batched[3:]))


@pytest.mark.parametrize("changes, message", [
    (dict(epochs=0), "epochs 0"), (dict(epochs=-1), "epochs -1"), (dict(batch_size=0), "batch_size 0"),
    (dict(learning_rate=float("nan")), "learning_rate nan"), (dict(learning_rate=0.0), "learning_rate 0.0"),
    (dict(learning_rate=-0.1), "learning_rate -0.1"), (dict(augment=1.5), "augment 1.5"),
    (dict(validation_split=1.0), "validation_split 1.0"), (dict(out="m.txt"), "out 'm.txt'"),
])
def test_bad_settings_are_refused_before_anything_is_written(tmp_path, tiny_arrays, changes, message):
    config = tiny_config(tmp_path, **changes)
    with pytest.raises(ValueError, match=message):
        train(config, data=tiny_arrays, verbose=0)
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_to_the_same_out_is_refused_naming_the_first(tmp_path, tiny_arrays):
    import subprocess
    import sys

    from digits.files import LockedError
    from digits.training import lock_path

    out = tmp_path / "model.keras"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom digits.files import exclusive_lock\n"
                               f"with exclusive_lock({str(lock_path(out))!r}, 'x'):\n"
                               "    print('locked', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"in use by another run \\(pid {holder.pid}"):
            train(tiny_config(tmp_path), data=tiny_arrays, verbose=0)
        assert not out.exists() and not checkpoint_dir(out).exists()
    finally:
        holder.kill()
        holder.wait()
    # The kernel released the killed holder's lock: the next run goes ahead.
    train(tiny_config(tmp_path), data=tiny_arrays, verbose=0)
    assert out.exists() and not lock_path(out).exists()


def test_an_interrupted_run_is_kept_until_restart(tmp_path, tiny_arrays):
    config = tiny_config(tmp_path, epochs=3)
    out = tmp_path / "model.keras"
    with pytest.raises(KeyboardInterrupt):
        train(config, data=tiny_arrays, verbose=0, callbacks=[StopAfter(2)])
    saved = sorted(path.name for path in checkpoint_dir(out).iterdir())
    with pytest.raises(FileExistsError, match=r"2 of 3 epochs done.*--resume.*--restart"):
        train(config, data=tiny_arrays, verbose=0)
    assert sorted(path.name for path in checkpoint_dir(out).iterdir()) == saved and not out.exists()
    counter = CountEpochs()
    card = train(config, data=tiny_arrays, verbose=0, restart=True, callbacks=[counter])
    assert counter.epochs == [0, 1, 2] and card["resumed"] is False and out.exists()


class PoisonWeights(keras.callbacks.Callback):
    """Makes the weights NaN at the start of epoch ``epoch`` (counted from 0), as a too-high learning rate would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for variable in self.model.trainable_variables:
                variable.assign(np.full(variable.shape, np.nan, dtype="float32"))


def test_a_nan_loss_stops_the_run_without_touching_out(tmp_path, tiny_arrays):
    from digits.checkpoint import TrainingDivergedError, epochs_done

    out = tmp_path / "model.keras"
    out.write_text("the previous model")
    with pytest.raises(TrainingDivergedError, match="loss became nan in epoch 2, batch 1") as raised:
        train(tiny_config(tmp_path, epochs=3), data=tiny_arrays, verbose=0, callbacks=[PoisonWeights(1)])
    assert "\n" not in str(raised.value) and "checkpoint of epoch 1 is kept" in str(raised.value)
    assert out.read_text() == "the previous model" and epochs_done(checkpoint_dir(out)) == 1


def test_a_run_stopped_after_its_last_epoch_resumes_to_saving(tmp_path, tiny_arrays):
    config = tiny_config(tmp_path, epochs=2)
    with pytest.raises(KeyboardInterrupt):
        train(config, data=tiny_arrays, verbose=0, callbacks=[StopAfter(2)])
    counter = CountEpochs()
    card = train(config, data=tiny_arrays, resume=True, verbose=0, callbacks=[counter])
    assert counter.epochs == [] and card["resumed"] is True and (tmp_path / "model.keras").exists()


def test_drawn_images_and_a_start_model_are_checked_before_training(tmp_path):
    from digits.config import preset

    with pytest.raises(ValueError, match="synthetic -5"):
        preset("robust").replace(synthetic=-5, out=str(tmp_path / "m.keras")).validate()
    with pytest.raises(ValueError, match="pen_digits -1"):
        preset("robust").replace(pen_digits=-1, out=str(tmp_path / "m.keras")).validate()
    with pytest.raises(ValueError, match="pen_digits 100: needs synthetic above 0"):
        preset("fast").replace(pen_digits=100, out=str(tmp_path / "m.keras")).validate()
    with pytest.raises(ValueError, match="mnist_repeats 0: expected a whole number"):
        preset("robust").replace(mnist_repeats=0, out=str(tmp_path / "m.keras")).validate()
    with pytest.raises(ValueError, match="mnist_repeats 2: .*needs synthetic above 0"):
        preset("best").replace(mnist_repeats=2, out=str(tmp_path / "m.keras")).validate()
    with pytest.raises(ValueError, match="init_from 'nosuch'"):
        preset("robust").replace(init_from="nosuch", out=str(tmp_path / "m.keras")).validate()
    preset("robust").replace(out=str(tmp_path / "m.keras")).validate()
    # The shipped models' recipe: the same mixture, learned from scratch.
    scratch = preset("robust-scratch")
    scratch.replace(out=str(tmp_path / "m.keras")).validate()
    assert not scratch.init_from and (scratch.synthetic, scratch.pen_digits) == (48000, 20000)


def test_start_from_copies_a_trained_network_and_grows_its_classifier():
    import keras

    from digits.model import build
    from digits.training import start_from

    keras.utils.set_random_seed(3)
    grown = build("compact", 11)
    start_from(grown, "mnist-only")
    from digits.recognisers import MODELS_DIR

    stored = keras.saving.load_model(MODELS_DIR / "mnist-only.keras", compile=False)
    source = [layer for layer in stored.layers
              if isinstance(layer, keras.Model) and len(layer.layers) == len(grown.layers)][0]
    kernel, bias = grown.layers[-1].get_weights()
    old_kernel, old_bias = source.layers[-1].get_weights()
    np.testing.assert_array_equal(kernel[:, :10], old_kernel)
    np.testing.assert_array_equal(bias[:10], old_bias)
    assert (kernel[:, 10] == 0).all() and bias[10] == pytest.approx(old_bias.mean())
    np.testing.assert_array_equal(grown.layers[0].get_weights()[0], source.layers[0].get_weights()[0])


def test_a_fold_run_holds_out_its_block_and_keeps_its_answers_there(tmp_path, tiny_arrays):
    card = train(tiny_config(tmp_path, folds=3, fold=1), data=tiny_arrays, verbose=0)
    assert card["train_images"] == 200 and card["validation"]["samples"] == 100
    assert "fold 1 of 3" in card["selection"]
    indices, probabilities = read_out_of_fold(tmp_path / "model.keras")
    assert indices.tolist() == list(range(100, 200)) and probabilities.shape == (100, 10)
    model = keras.saving.load_model(tmp_path / "model.keras")
    images = tiny_arrays[0][0][100:200].astype("float32")[..., None] / 255
    np.testing.assert_allclose(probabilities, model.predict(images, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="give --folds too"):
        TrainConfig(fold=2).validate()


def test_turn_zoom_shift_matches_scipy_and_random_affine_is_off_at_inference():
    from scipy import ndimage

    from digits.augment import RandomAffine, turn_zoom_shift

    image = np.zeros((28, 28), dtype=np.float32)
    image[6:22, 12:15] = 1.0  # an upright bar
    image[6:9, 12:20] = 1.0   # with a flag to the right
    batch = image[None, ..., None]
    # scipy turns counter-clockwise as seen for positive angles, about the centre, then shifts.
    expected = ndimage.shift(ndimage.rotate(image, 20, reshape=False, order=1), (2, -3), order=1)
    turned = np.asarray(turn_zoom_shift(batch, np.radians(20), 1.0, 2.0, -3.0))[0, ..., 0]
    assert np.abs(turned - expected).mean() < 0.02
    zoomed = np.asarray(turn_zoom_shift(batch, 0.0, 1.25, 0.0, 0.0))[0, ..., 0]
    assert zoomed.sum() == pytest.approx(image.sum() * 1.25 ** 2, rel=0.05)
    layer = RandomAffine(seed=4)
    assert np.array_equal(np.asarray(layer(batch, training=False)), batch)
    moved = np.asarray(layer(np.repeat(batch, 16, axis=0), training=True))
    assert moved.shape == (16, 28, 28, 1) and len({float(m.sum()) for m in moved}) > 8


def test_validation_only_after_training_scores_it_once_and_times_every_stage(tmp_path, tiny_arrays):
    card = train(tiny_config(tmp_path, epochs=2, validation_split=0.2, validate_every_epoch=False), data=tiny_arrays,
                 verbose=0)
    assert card["validation"]["samples"] == 60
    assert [sorted(row) for row in card["history"]] == [["accuracy", "epoch", "loss", "seconds"]] * 2
    assert list(card["stage_seconds"]) == ["data", "build", "fit", "validation", "test", "save"]
    assert sum(row["seconds"] for row in card["history"]) <= card["stage_seconds"]["fit"] <= card["seconds"]
