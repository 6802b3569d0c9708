"""Where a training run's wall time goes: seconds per stage, and per epoch.

``StageClock`` times the stages of one run in order (data, build, fit, validation, test,
save); ``EpochTimer`` adds each epoch's seconds to Keras's per-epoch logs, so that the
history and the model card carry them. ``bench/train_speed.py`` prints both.
"""

from __future__ import annotations

import time

from digits.quiet import import_keras_quietly

keras = import_keras_quietly()


class StageClock:
    """Seconds spent in each named stage, measured from one ``lap`` to the next.

    Example:
        >>> clock = StageClock()
        >>> clock.lap("data")  # the seconds since the clock was made, now named "data"
        >>> list(clock.seconds)
        ['data']
    """

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self.last, 3)
        self.last = now


class EpochTimer(keras.callbacks.Callback):
    """Puts the epoch's wall time, in seconds, into its logs as ``seconds`` (the first epoch includes tracing).

    Listed before ``CSVLogger``, so that the logged history has the column.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self.started
