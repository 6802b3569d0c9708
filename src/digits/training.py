"""Train a model from a ``TrainConfig``: validation split, checkpoints, resume, model card.

Choices made during training look only at the validation split (the last
``validation_split`` of the 60,000 training images). The test set is scored once, after
training, and only reported.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from digits.augment import augmenter
from digits.card import model_card, write_card
from digits.config import TrainConfig
from digits.data import Arrays, arrays_checksum, held_out, load_mnist, split
from digits.devices import in_use, predict, scope
from digits.evaluation import metrics
from digits.checkpoint import EpochCheckpoint, TrainingDivergedError, epochs_done, load_state, training_data
from digits.files import atomic_path, exclusive_lock, write_text_atomic
from digits.model import CLASSES, CLASSES_WITH_NOT_A_DIGIT, INPUT_SHAPE, build
from digits.preprocess import scale_mnist
from digits.quiet import import_keras_quietly
from digits.timing import EpochTimer, StageClock

keras = import_keras_quietly()


def learning_rate(config: TrainConfig, steps_per_epoch: int):
    """A float for ``constant``; for ``onecycle``, linear warm-up then cosine decay to zero."""
    if config.schedule == "constant":
        return config.learning_rate
    if config.schedule != "onecycle":
        raise ValueError(f"unknown schedule {config.schedule!r}: choose constant or onecycle")
    total_steps = max(1, config.epochs * steps_per_epoch)
    warmup_steps = int(config.warmup_fraction * total_steps)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 10,
        decay_steps=max(1, total_steps - warmup_steps),
        alpha=0.0,
        warmup_target=config.learning_rate,
        warmup_steps=warmup_steps,
    )


def compile_trainer(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> keras.Model:
    """The model as it is trained, with the recipe's optimizer and loss.

    The trainer takes MNIST's uint8 images and scales them to the model's [0, 1] in its graph
    (as ``scale_mnist`` does), then applies the augmentation layers if any: the training
    images stay uint8 in memory, a quarter of float32's bytes to copy and gather.
    """
    stages = [keras.layers.Rescaling(1 / 255)]
    if config.augment > 0 or config.ink_augment > 0 or config.elastic > 0:
        stages.append(augmenter(config.augment, config.ink_augment, config.elastic))
    trainer = keras.Sequential([keras.Input(INPUT_SHAPE, dtype="uint8"), *stages, model], name="trainer")
    optimizer = keras.optimizers.Adam(
        learning_rate=learning_rate(config, steps_per_epoch), beta_1=config.beta_1, beta_2=config.beta_2,
        use_ema=config.ema_momentum > 0, ema_momentum=config.ema_momentum or 0.99,
    )
    if config.label_smoothing > 0:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    trainer.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return trainer


def targets(labels: np.ndarray, config: TrainConfig) -> np.ndarray:
    classes = CLASSES_WITH_NOT_A_DIGIT if config.synthetic else CLASSES
    return keras.utils.to_categorical(labels, classes) if config.label_smoothing > 0 else labels


# Images per call when scoring: 2,000 divides the 6,000 validation and the 10,000 test images,
# so one traced function serves both (a shorter last batch would be traced again).
SCORING_BATCH_SIZE = 2000

# One drawn set for every run (seeds vary the network's start and order, not the data).
SYNTHETIC_SEED = 0


def with_synthetic(images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The uint8 training images, ``config.mnist_repeats`` times each, plus ``config.synthetic`` drawn ones
    (digits.synthetic) and ``config.pen_digits`` drawn from UCI pen digits' training writers (digits.pen_digits),
    shuffled in; unchanged when synthetic is 0.

    The drawn set redraws only these training images, never the validation split.
    """
    if not config.synthetic:
        return images, labels
    from digits import pen_digits
    from digits.synthetic import training_set

    # The pen digits first: fetched (or refused) before minutes of drawing.
    pen, pen_labels = (pen_digits.training_set(config.pen_digits, SYNTHETIC_SEED) if config.pen_digits
                       else (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)))
    drawn, drawn_labels = training_set(config.synthetic, SYNTHETIC_SEED, images[..., 0], labels,
                                       workers=min(8, os.cpu_count() or 1))
    drawn, drawn_labels = np.concatenate([drawn, pen]), np.concatenate([drawn_labels, pen_labels])
    images, labels = np.concatenate([images] * config.mnist_repeats), np.concatenate([labels] * config.mnist_repeats)
    order = np.random.default_rng(config.seed).permutation(len(images) + len(drawn))
    return (np.concatenate([images, drawn[..., None]])[order],
            np.concatenate([labels, drawn_labels])[order])


def checkpoint_dir(out: Path) -> Path:
    return out.with_name(out.name + ".checkpoint")


def history_path(out: Path) -> Path:
    return out.with_name(out.stem + ".history.csv")


def read_history(path: Path) -> list[dict]:
    """Per-epoch rows of the CSV log; a row repeated after a resume keeps its last copy.

    Columns Keras logs as "NA" (validation scores of a run without a validation split) are left out.
    """
    if not path.exists():
        return []
    rows: dict[int, dict] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            epoch = int(row.pop("epoch"))
            rows[epoch] = {"epoch": epoch + 1, **{key: round(float(value), 6) for key, value in row.items()
                                                  if value not in ("NA", "")}}
    return [rows[epoch] for epoch in sorted(rows)]


def out_of_fold_path(out: Path) -> Path:
    return out.with_name(out.stem + ".out-of-fold.npz")


def save_out_of_fold(out: Path, probabilities: np.ndarray, rows: slice) -> None:
    """Keep a fold run's answers on the images it was not trained on: ``indices`` into the 60,000, ``probabilities``."""
    with atomic_path(out_of_fold_path(out)) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, indices=np.arange(rows.start, rows.stop), probabilities=probabilities.astype(np.float32))


def read_out_of_fold(out: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(indices (N,) int64 into the training set, probabilities (N, classes) float32) of a fold run."""
    path = out_of_fold_path(Path(out))
    try:
        with np.load(path) as saved:
            return saved["indices"], saved["probabilities"]
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no out-of-fold answers (a run trained with --folds has them)") from None


def lock_path(out: Path) -> Path:
    return out.with_name(out.name + ".lock")


def start_checkpoint(config: TrainConfig, out: Path, resume: bool, restart: bool = False) -> tuple[TrainConfig, int]:
    """Prepare the checkpoint folder; return the run's config and how many epochs are done.

    On resume, the config is the one the run was started with. Without ``resume``, a
    checkpoint holding finished epochs is kept and refused unless ``restart`` says to
    start over; one that finished no epoch is simply replaced.
    """
    folder = checkpoint_dir(out)
    saved_config = folder / "config.json"
    if resume:
        if not saved_config.exists():
            raise FileNotFoundError(f"nothing to resume: no checkpoint at {folder} (train without --resume)")
        try:
            config = TrainConfig(**json.loads(saved_config.read_text()))
        except (ValueError, TypeError) as error:
            raise ValueError(f"checkpoint {saved_config} is unreadable ({error}); "
                             f"pass --restart to start over") from None
        config.validate()
        return config, epochs_done(folder) or 0
    if folder.exists() and not restart:
        done = epochs_done(folder)
        if done or (folder / "backup").exists():
            total = json.loads(saved_config.read_text())["epochs"]
            progress = f"{done} of {total} epochs done" if done else "older format"
            raise FileExistsError(f"{folder} holds an interrupted run ({progress}); pass --resume to continue it, "
                                  f"or --restart to delete it and start over")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_text_atomic(saved_config, json.dumps(dataclasses.asdict(config), indent=2))
    return config, 0


def start_from(model: keras.Model, source: str) -> None:
    """Copy a trained model's weights into ``model``, layer by layer (same architecture).

    A classifier with more outputs than the source's (ten digits, then "not a digit")
    keeps the source's columns for the outputs they share; the new output starts from
    zero weights and a bias at the mean of the others, so it begins as an even guess.
    """
    from digits.recognisers import MODELS_DIR, model_path

    packaged = MODELS_DIR / f"{source}.keras"
    path = packaged if packaged.exists() else model_path(source, ".keras")
    loaded = keras.saving.load_model(path, compile=False)
    # A shipped model wraps its member networks (an average, a temperature): take the first of this arch.
    shape = [type(layer).__name__ for layer in model.layers]
    found = [layer for layer in [loaded, *loaded.layers]
             if isinstance(layer, keras.Model) and [type(inner).__name__ for inner in layer.layers] == shape]
    if not found:
        raise ValueError(f"init_from {path}: holds no {model.name!r} network (give a model of the same --arch)")
    trained = found[0]
    for target, layer in zip(model.layers, trained.layers):
        weights = layer.get_weights()
        wanted = target.get_weights()
        if all(new.shape == old.shape for new, old in zip(wanted, weights)):
            target.set_weights(weights)
            continue
        kernel, bias = weights
        grown_kernel, grown_bias = np.zeros_like(wanted[0]), np.full_like(wanted[1], bias.mean())
        grown_kernel[:, :kernel.shape[1]], grown_bias[:bias.shape[0]] = kernel, bias
        target.set_weights([grown_kernel, grown_bias])


def train(config: TrainConfig, data: Arrays | None = None, resume: bool = False, verbose: int | str = "auto",
          callbacks: list | None = None, restart: bool = False, devices: int = 1) -> dict:
    """Train, evaluate once on the test set, save the model atomically with its card; return the card.

    Args:
        config: the recipe. ``config.out`` ending in ``.h5`` saves the legacy HDF5 format.
        data: MNIST-shaped arrays (``load_mnist()`` when ``None``); tests pass tiny ones.
        resume: continue the interrupted run saved beside ``config.out``, without
            repeating its finished epochs (its saved config is used). The weights,
            optimizer, random states and image order continue exactly, so the result is
            the uninterrupted run's.
        verbose: Keras's verbosity; ``"auto"`` shows the progress bar on a terminal
            and one line per epoch otherwise.
        callbacks: extra Keras callbacks, run after the checkpoint is written each epoch.
        restart: delete an interrupted run's checkpoint and start over (without it, such
            a checkpoint makes the run refuse to start).
        devices: train on this many devices at once, data parallel (``digits.devices``;
            JAX backend; 0: all it sees); 1 leaves the placement to the backend.

    Raises:
        ValueError: a setting is out of range, or the devices asked for cannot be had
            (before training starts).
        LockedError: another run is writing the same model.
        FileExistsError: an interrupted run's checkpoint is there, and neither ``resume`` nor ``restart`` was given.
        TrainingDivergedError: the loss became NaN or infinite; the model file is untouched.
    """
    config.validate()
    out = Path(config.output_path())
    spread = scope(devices, None if resume else config.batch_size)
    with spread, exclusive_lock(lock_path(out), f"{out}"):
        return train_locked(config, out, data, resume, restart, verbose, callbacks)


def train_locked(config: TrainConfig, out: Path, data: Arrays | None, resume: bool, restart: bool,
                 verbose: int | str, callbacks: list | None) -> dict:
    started, started_at = time.perf_counter(), time.time()
    clock = StageClock()
    config, first_epoch = start_checkpoint(config, out, resume, restart)
    if config.batch_size % in_use():
        raise ValueError(f"batch size {config.batch_size} (the run's) does not split evenly over {in_use()} devices")
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    keras.utils.set_random_seed(config.seed)

    arrays = data if data is not None else load_mnist()
    (x_train, y_train), (x_test, y_test) = arrays
    images = x_train[..., None]  # uint8: the trainer scales them (compile_trainer)
    (x_fit, y_fit), (x_validation, y_validation) = split(images, y_train, config.validation_split, config.fold,
                                                         config.folds)

    x_fit, y_fit = with_synthetic(x_fit, y_fit, config)
    clock.lap("data")
    steps_per_epoch = -(-len(x_fit) // config.batch_size)
    model = build(config.arch, CLASSES_WITH_NOT_A_DIGIT if config.synthetic else CLASSES)
    if config.init_from:
        start_from(model, config.init_from)
    trainer = compile_trainer(model, config, steps_per_epoch)
    folder = checkpoint_dir(out)
    if first_epoch:
        load_state(folder, trainer)
    checkpoint = EpochCheckpoint(folder)
    clock.lap("build")
    run_callbacks = [EpochTimer()]
    if config.ema_momentum > 0:
        # Validation scores the averaged weights, the ones that will be saved.
        run_callbacks.append(keras.callbacks.SwapEMAWeights())
    run_callbacks += [
        keras.callbacks.CSVLogger(str(folder / "history.csv"), append=True),
        checkpoint,
        *(callbacks or []),
    ]
    validation = (x_validation, targets(y_validation, config)) if len(x_validation) else None
    if not config.validate_every_epoch or in_use() > 1:
        # Scored once, after training, as for every run (over several devices, padded so
        # that its last batch splits evenly, which Keras's own validation would not do).
        validation = None
    # The images are fed in an order fixed by (seed, epoch), not by Keras's shuffle, so that
    # a resumed run continues exactly where the interrupted one stopped.
    if first_epoch < config.epochs:  # all done when a run stopped after its last checkpoint
        trainer.fit(training_data(x_fit, targets(y_fit, config), config.batch_size, config.seed, first_epoch,
                                  config.epochs, whole=in_use() > 1),
                    steps_per_epoch=steps_per_epoch, epochs=config.epochs, initial_epoch=first_epoch,
                    validation_data=validation, callbacks=run_callbacks, verbose=verbose, shuffle=False)
    if checkpoint.diverged is not None:
        # TensorFlow finalises an unfinished input pipeline at exit, after Python is gone, and
        # logs an error then; collected now, it finishes quietly.
        gc.collect()
        epoch, batch, loss = checkpoint.diverged
        kept = epochs_done(folder)
        raise TrainingDivergedError(
            f"training stopped: the loss became {loss} in epoch {epoch}, batch {batch} (try a lower learning rate); "
            f"{out} was not written; " + (f"the checkpoint of epoch {kept} is kept" if kept else "no epoch finished"))
    trained_seconds = time.perf_counter() - started
    clock.lap("fit")

    def scores(x: np.ndarray, y: np.ndarray) -> dict | None:
        if not len(x):
            return None
        return metrics(predict(model, scale_mnist(x), SCORING_BATCH_SIZE), y)

    validation_scores = scores(x_validation, y_validation)
    if config.folds:
        save_out_of_fold(out, predict(model, scale_mnist(x_validation), SCORING_BATCH_SIZE),
                         held_out(len(images), config.validation_split, config.fold, config.folds))
    clock.lap("validation")
    test_scores = scores(x_test[..., None], y_test)
    clock.lap("test")
    with atomic_path(out) as temporary:
        model.save(temporary)
    history = read_history(folder / "history.csv")
    if (folder / "history.csv").exists():
        with atomic_path(history_path(out)) as temporary:
            shutil.copyfile(folder / "history.csv", temporary)
    clock.lap("save")
    if config.folds:
        selection = (f"fold {config.fold} of {config.folds} of the training images held out, its answers kept "
                     f"(out-of-fold); last epoch saved; test set scored once after training")
    else:
        selection = "last epoch saved; validation split held out; test set scored once after training"
    card = model_card(
        out.name, dataclasses.asdict(config), model.count_params(), selection, validation_scores, test_scores,
        arrays_checksum(arrays), history, resumed=resume, train_images=int(len(x_fit)),
        validation_images=int(len(x_validation)), seconds=round(time.perf_counter() - started, 1),
        train_seconds=round(trained_seconds, 1),
        # Where the seconds went (the history has each epoch's), and when the run began (Unix
        # time), so that a caller timing the whole process can tell start-up from training.
        stage_seconds=clock.seconds, started_at=round(started_at, 3), backend=keras.backend.backend(),
        devices=in_use(),
    )
    write_card(out, card)
    shutil.rmtree(folder, ignore_errors=True)
    return card

