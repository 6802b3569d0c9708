"""A training run's checkpoint: all it takes to continue the run as if it had never stopped.

The folder beside the model (``runs/best.keras.checkpoint/``) holds ``config.json``, the
recipe the run was started with; ``history.csv``, Keras's per-epoch log; and, after each
finished epoch, ``state.npz``: every variable of the trainer (weights, normalisation
statistics, the augmentation layers' random-generator states), every optimizer variable
(step count, moments, weight average) and Python's and NumPy's global random states. It is
written atomically, so a crash while writing keeps the previous epoch's.

The order of the training images is not state to save: epoch ``e`` of a run with seed ``s``
visits them in the permutation drawn by ``numpy.random.default_rng([s, e])``, so a resumed
run sees the same batches as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from digits.files import atomic_path
from digits.quiet import import_keras_quietly

keras = import_keras_quietly()

STATE_FILE = "state.npz"


class TrainingDivergedError(RuntimeError):
    """The loss stopped being a finite number; nothing was saved over the model."""


def epoch_order(seed: int, epoch: int, count: int) -> np.ndarray:
    """The order in which epoch ``epoch`` visits ``count`` training images: int64 (count,)."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def batches(images: np.ndarray, targets: np.ndarray, batch_size: int, seed: int,
            first_epoch: int, epochs: int, whole: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(images, targets) batches of epochs ``first_epoch`` to ``epochs - 1``, each in ``epoch_order``.

    Every epoch has ``ceil(len(images) / batch_size)`` batches, the last one possibly short;
    with ``whole``, the last one is filled up with the epoch's first images (a batch split
    over several devices must split evenly).
    """
    for epoch in range(first_epoch, epochs):
        order = epoch_order(seed, epoch, len(images))
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            if whole and len(chosen) < batch_size:
                chosen = np.concatenate([chosen, np.resize(order, batch_size - len(chosen))])
            yield images[chosen], targets[chosen]


def training_data(images: np.ndarray, targets: np.ndarray, batch_size: int, seed: int, first_epoch: int,
                  epochs: int, whole: bool = False):
    """The batches of ``batches``, as a ``tf.data.Dataset`` on the TensorFlow backend.

    Fed from a Python generator, TensorFlow lowers malloc's trim threshold for the whole
    process and spends as much time in the kernel as in training; a dataset that gathers
    the batches itself (as Keras's own array input does) costs nothing extra. Other
    backends read the generator.
    """
    if keras.backend.backend() != "tensorflow" or whole:
        return batches(images, targets, batch_size, seed, first_epoch, epochs, whole)
    import tensorflow as tf

    orders = [tf.data.Dataset.from_tensor_slices(epoch_order(seed, epoch, len(images))).batch(batch_size)
              for epoch in range(first_epoch, epochs)]
    indices = orders[0]
    for order in orders[1:]:
        indices = indices.concatenate(order)
    images, targets = tf.constant(images), tf.constant(targets)
    return (indices.map(lambda chosen: (tf.gather(images, chosen), tf.gather(targets, chosen)),
                        num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def random_states() -> dict:
    numpy_state = np.random.get_state()
    return {"numpy": [numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]],
            "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]]}


def set_random_states(states: dict) -> None:
    name, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))


def save_state(folder: Path, trainer: keras.Model, epochs_done: int) -> None:
    """Write ``state.npz`` after ``epochs_done`` epochs: trainer and optimizer variables, random states."""
    arrays = {f"trainer_{index:04d}": np.asarray(variable) for index, variable in enumerate(trainer.variables)}
    arrays.update({f"optimizer_{index:04d}": np.asarray(variable)
                   for index, variable in enumerate(trainer.optimizer.variables)})
    meta = {"epochs_done": epochs_done, "random": random_states()}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with atomic_path(folder / STATE_FILE) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)


def epochs_done(folder: Path) -> int | None:
    """How many epochs the checkpoint in ``folder`` holds; ``None`` when none finished."""
    path = folder / STATE_FILE
    if not path.exists():
        return None
    return read_meta(path)["epochs_done"]


def read_meta(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return json.loads(archive["meta"].tobytes())
    except Exception as error:  # a damaged file, whatever numpy or zipfile raise for it
        raise ValueError(f"checkpoint {path} is damaged ({type(error).__name__}: {error}); "
                         f"pass --restart to start over") from None


def load_state(folder: Path, trainer: keras.Model) -> int:
    """Put the trainer, its optimizer and the random states back as they were saved; return the epochs done."""
    path = folder / STATE_FILE
    meta = read_meta(path)
    trainer.optimizer.build(trainer.trainable_variables)
    with np.load(path, allow_pickle=False) as archive:
        for prefix, variables in (("trainer", trainer.variables), ("optimizer", trainer.optimizer.variables)):
            saved = sorted(key for key in archive.files if key.startswith(prefix + "_"))
            if len(saved) != len(variables):
                raise ValueError(f"checkpoint {path} holds {len(saved)} {prefix} variables, this run has "
                                 f"{len(variables)}; pass --restart to start over")
            for key, variable in zip(saved, variables):
                variable.assign(archive[key])
    set_random_states(meta["random"])
    return meta["epochs_done"]


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the run's state after each epoch; stops training at the first batch with a non-finite loss.

    A diverged epoch is not saved: the checkpoint keeps the last epoch whose loss was finite.
    ``diverged`` is then ``(epoch, batch, loss)``, counted from 1.
    """

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        self.epoch = 0
        self.diverged: tuple[int, int, float] | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss) and self.diverged is None:
            self.diverged = (self.epoch + 1, batch + 1, loss)
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.diverged is None:
            save_state(self.folder, self.model, epoch + 1)
