"""One model trained on several devices at once (GPUs; CPU devices for a test), data parallel.

Every device holds the whole network; each step's batch is cut into equal shares, one per
device, and the gradients are averaged over them, so a step is the same step as on one
device (up to the order of floating-point sums) and the recipe is unchanged. Keras's
distribution API (``keras.distribution.DataParallel``) does this for the JAX backend.
"""

from __future__ import annotations

import contextlib


def scope(count: int, batch_size: int) -> contextlib.AbstractContextManager:
    """A context in which Keras builds and trains on ``count`` devices (0: every one the backend sees).

    One device (``count`` 1) is Keras's own placement: nothing changes.

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
    if batch_size % len(chosen):
        raise ValueError(f"batch size {batch_size} does not split evenly over {len(chosen)} devices; "
                         f"give a multiple of {len(chosen)}")
    return keras.distribution.DataParallel(devices=chosen).scope()


def in_use() -> int:
    """How many devices the current distribution spreads over (1 without one)."""
    import keras

    distribution = keras.distribution.distribution()
    return len(distribution.device_mesh.devices.ravel()) if distribution is not None else 1
