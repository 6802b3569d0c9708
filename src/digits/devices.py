"""One model trained on several devices at once (GPUs; CPU devices for a test), data parallel.

Every device holds the whole network; each step's batch is cut into equal shares, one per
device, and the gradients are averaged over them, so a step is the same step as on one
device (up to the order of floating-point sums) and the recipe is unchanged. Keras's
distribution API (``keras.distribution.DataParallel``) does this for the JAX backend.
"""

from __future__ import annotations

import contextlib

import numpy as np


def scope(count: int, batch_size: int | None) -> contextlib.AbstractContextManager:
    """A context in which Keras builds and trains on ``count`` devices (0: every one the backend sees).

    One device (``count`` 1) is Keras's own placement: nothing changes. ``batch_size``
    ``None`` leaves the batch to be checked later (a resumed run's is in its checkpoint).

    Raises:
        ValueError: a backend other than JAX, fewer devices than asked for, or a batch that
            does not split evenly over them.
    """
    if count == 1:
        return contextlib.nullcontext()
    if count < 0:
        raise ValueError(f"devices {count}: expected 1 (as the backend places it), 2 or more, or 0 for all")
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(f"training on several devices needs the JAX backend (KERAS_BACKEND=jax); this is {backend}")
    devices = keras.distribution.list_devices()
    if count > len(devices):
        raise ValueError(f"devices {count}: the backend sees {len(devices)} ({', '.join(devices)})")
    chosen = devices[:count] if count else devices
    if batch_size is not None and batch_size % len(chosen):
        raise ValueError(f"batch size {batch_size} does not split evenly over {len(chosen)} devices; "
                         f"give a multiple of {len(chosen)}")
    return keras.distribution.DataParallel(devices=chosen).scope()


def in_use() -> int:
    """How many devices the current distribution spreads over (1 without one)."""
    import keras

    distribution = keras.distribution.distribution()
    return len(distribution.device_mesh.devices.ravel()) if distribution is not None else 1


def predict(model, images: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.predict`` in batches that split evenly over the devices in use: the last one padded, then cut off."""
    count = in_use()
    if count == 1:
        return model.predict(images, batch_size=batch_size, verbose=0)
    size = max(count, batch_size - batch_size % count)
    padding = -len(images) % size
    padded = np.concatenate([images, np.zeros((padding, *images.shape[1:]), dtype=images.dtype)])
    return model.predict(padded, batch_size=size, verbose=0)[:len(images)]
