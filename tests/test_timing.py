"""Stage and epoch timings of a training run."""

import time

from digits.timing import EpochTimer, StageClock


def test_stage_clock_names_the_seconds_since_the_last_lap_and_adds_a_repeated_stage():
    clock = StageClock()
    time.sleep(0.02)
    clock.lap("data")
    clock.lap("build")
    time.sleep(0.02)
    clock.lap("data")
    assert list(clock.seconds) == ["data", "build"]
    assert clock.seconds["data"] >= 0.04 and clock.seconds["build"] < 0.02


def test_epoch_timer_puts_the_epoch_seconds_into_its_logs():
    timer, logs = EpochTimer(), {"loss": 1.0}
    timer.on_epoch_begin(0)
    time.sleep(0.02)
    timer.on_epoch_end(0, logs)
    assert logs["loss"] == 1.0 and 0.02 <= logs["seconds"] < 5
