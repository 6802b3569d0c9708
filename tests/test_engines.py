"""Engines: every item comes back once, with its result, its error, or as lost; Dask and the process pool alike."""

import os
import signal

import pytest

from digits.engines import DaskEngine, ProcessEngine, check_engine, open_engine


def square_or_fail(number):
    if number == 3:
        raise ValueError("three is not welcome")
    return number * number


def die_on_five(number):
    if number == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return number


@pytest.fixture(scope="module", params=["processes", "dask"])
def engine(request):
    made = ProcessEngine(workers=2) if request.param == "processes" else DaskEngine(workers=1, retries=0)
    with made:
        yield made


def test_every_item_comes_back_once_with_its_result_or_its_error(engine):
    outcomes = sorted(engine.map(square_or_fail, range(8)), key=lambda outcome: outcome.index)
    assert [outcome.item for outcome in outcomes] == list(range(8))
    assert [outcome.result for outcome in outcomes] == [0, 1, 4, None, 16, 25, 36, 49]
    assert outcomes[3].error == "ValueError: three is not welcome" and not outcomes[3].lost
    # The engine serves the next map as well.
    assert [outcome.result for outcome in engine.map(square_or_fail, [2])] == [4]


def test_an_item_that_kills_its_process_is_lost_and_costs_no_other(engine):
    outcomes = {outcome.item: outcome for outcome in engine.map(die_on_five, range(8))}
    assert sorted(outcomes) == list(range(8))
    assert outcomes[5].lost and outcomes[5].result is None
    assert all(outcomes[item].result == item for item in outcomes if item != 5)


def test_settings_are_checked_before_anything_starts(monkeypatch):
    with pytest.raises(ValueError, match="engine 'ray'"):
        check_engine("ray")
    with pytest.raises(ValueError, match="workers 0"):
        check_engine("processes", workers=0)
    monkeypatch.setenv("DIGITS_SCHEDULER", "HOST:8786")
    with pytest.raises(ValueError, match="expected an address such as tcp://HOST:8786"):
        open_engine("processes")
    monkeypatch.setenv("DIGITS_SCHEDULER", "tcp://127.0.0.1:9")
    assert check_engine("processes") == "tcp://127.0.0.1:9"
    with pytest.raises(RuntimeError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        DaskEngine("tcp://127.0.0.1:9", timeout=1)
