"""Where parallel work runs: a pool of local processes, or a Dask cluster, behind one ``map``.

An engine's ``map(function, items)`` runs ``function(item)`` for every item and yields one
``Outcome`` per item as it finishes (not in input order). An item whose function raised
yields its error; an item whose process died (killed, out of memory) is run again up to
``retries`` times, then yields ``lost``. Nothing else stops the others.

``function`` and the items must pickle: they travel to other processes, or machines.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

SCHEDULER_ENVIRONMENT_VARIABLE = "DIGITS_SCHEDULER"


@dataclass
class Outcome:
    """What became of one item: its ``result``, the ``error`` its function raised, or ``lost``."""

    index: int
    item: Any
    result: Any = None
    error: str | None = None
    # The process running it died each time it was tried.
    lost: bool = False


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


class ProcessEngine:
    """Processes on this machine (``concurrent.futures``); ``workers`` defaults to one per core.

    The pool is started on the first ``map`` and kept for the next ones until ``close``.
    When a process dies the pool breaks and every item it held is lost with it. Those
    items are then run again one at a time, in order, in a pool of one process: when that
    one dies, the item it was running is known, and only that item is tried again (up to
    ``retries`` times) before it is given up as lost.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, retries: int = 2, start_method: str | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.retries = retries
        # "spawn" for work that imports TensorFlow, which is not safe to fork once loaded.
        self.context = multiprocessing.get_context(start_method)
        self.pool: ProcessPoolExecutor | None = None

    def describe(self) -> str:
        return f"{self.workers} local process{'es' if self.workers != 1 else ''}"

    def map(self, function: Callable, items: Iterable) -> Iterator[Outcome]:
        pending = list(enumerate(items))
        if not pending:
            return
        lost = []
        # One pool serves every call until a process dies: starting processes is not free.
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self.context,
                                            initializer=ignore_sigint)
        futures = {self.pool.submit(function, item): (index, item) for index, item in pending}
        waiting = set(futures)
        try:
            while waiting:
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = self.outcome(future, *futures[future])
                    if outcome.lost:
                        lost.append((outcome.index, outcome.item))
                    else:
                        yield outcome
        except GeneratorExit:
            # The caller stopped listening: the work still queued or running is stopped too.
            self.close()
            raise
        if lost:
            self.close()
            yield from self.one_by_one(function, sorted(lost, key=lambda pair: pair[0]))

    def one_by_one(self, function: Callable, pending: list[tuple[int, Any]]) -> Iterator[Outcome]:
        """Run ``pending`` in order in one process; the first unfinished item when it dies is the one that killed it."""
        strikes: dict[int, int] = {}
        while pending:
            with ProcessPoolExecutor(max_workers=1, mp_context=self.context, initializer=ignore_sigint) as pool:
                futures = [pool.submit(function, item) for _, item in pending]
                for position, ((index, item), future) in enumerate(zip(pending, futures)):
                    outcome = self.outcome(future, index, item)
                    if not outcome.lost:
                        yield outcome
                        continue
                    strikes[index] = strikes.get(index, 0) + 1
                    if strikes[index] > self.retries:
                        yield outcome
                        position += 1
                    pending = pending[position:]
                    break
                else:
                    pending = []

    @staticmethod
    def outcome(future, index: int, item: Any) -> Outcome:
        try:
            return Outcome(index, item, result=future.result())
        except BrokenProcessPool:
            return Outcome(index, item, lost=True)
        except Exception as error:
            return Outcome(index, item, error=describe(error))

    def close(self) -> None:
        """Stop the pool; work still running (closed early: Ctrl-C, an error) is stopped, not waited for."""
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        # concurrent.futures has no public way to stop a running task before Python 3.14. The
        # pool then fails what it still held (futures are not cancelled: Python 3.11's pool
        # trips over a cancelled future when its processes end).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.terminate()
        pool.shutdown(wait=True)

    def __enter__(self) -> "ProcessEngine":
        return self

    def __exit__(self, *exception) -> None:
        self.close()


def ignore_sigint() -> None:
    """A worker's start: Ctrl-C reaches the command, which stops its workers, not each worker on its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in the block (where this is the main thread); processes started meanwhile inherit it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class DaskEngine:
    """A Dask cluster: the one at ``scheduler`` (``tcp://HOST:8786``), or a local one started here.

    The local cluster listens on 127.0.0.1 only, runs ``workers`` processes (one per core
    by default) of one thread each, and has no dashboard. A worker that dies is replaced
    by its nanny and its tasks are rescheduled by Dask itself; a task that was on
    ``retries`` + 1 dying workers is run again alone, and lost if it kills that one too.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, retries: int = 2,
                 timeout: float = 10.0):
        import dask
        from distributed import Client, LocalCluster

        self.scheduler = scheduler
        self.workers = workers or os.cpu_count() or 1
        self.cluster = None
        # Dask's own count of workers a task may take down before it is given up.
        dask.config.set({"distributed.scheduler.allowed-failures": retries})
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=timeout)
            else:
                # Workers started while SIGINT is ignored keep ignoring it: Ctrl-C reaches this
                # process, which closes the cluster, instead of every worker printing a traceback.
                with sigint_ignored():
                    self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                                host="127.0.0.1", dashboard_address=None,
                                                silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as error:
            self.close()
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise RuntimeError(f"cannot reach {where} ({describe(error)}); check the address "
                               f"(--scheduler or ${SCHEDULER_ENVIRONMENT_VARIABLE}) and that it is running") from None

    def describe(self) -> str:
        if self.scheduler:
            return f"the Dask cluster at {self.scheduler} ({len(self.client.scheduler_info()['workers'])} workers)"
        return f"a local Dask cluster of {self.workers} process{'es' if self.workers != 1 else ''}"

    def map(self, function: Callable, items: Iterable) -> Iterator[Outcome]:
        from distributed import as_completed

        items = list(items)
        futures = self.client.map(function, items, pure=False)
        positions = {future.key: index for index, future in enumerate(futures)}
        lost = []
        try:
            for future in as_completed(futures):
                index = positions[future.key]
                outcome = self.outcome(future, index, items[index])
                if outcome.lost:
                    lost.append(index)
                else:
                    yield outcome
                future.release()
        finally:
            self.client.cancel([future for future in futures if not future.done()])
        # Dask gives up every task that was on a dying worker as often as allowed, the
        # innocent with the guilty; alone on the cluster, each is judged on its own.
        for index in sorted(lost):
            future = self.client.submit(function, items[index], pure=False)
            yield self.outcome(future, index, items[index])
            future.release()

    @staticmethod
    def outcome(future, index: int, item: Any) -> Outcome:
        from distributed.scheduler import KilledWorker

        try:
            return Outcome(index, item, result=future.result())
        except KilledWorker:
            return Outcome(index, item, lost=True)
        except Exception as error:
            return Outcome(index, item, error=describe(error))

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> "DaskEngine":
        return self

    def __exit__(self, *exception) -> None:
        self.close()


ENGINES = {"processes": ProcessEngine, "dask": DaskEngine}


def check_engine(name: str, scheduler: str | None = None, workers: int | None = None) -> str | None:
    """Raise ``ValueError`` for an unknown engine, a malformed address or a worker count below 1.

    Returns the scheduler's address: ``scheduler``, else ``$DIGITS_SCHEDULER``, else ``None``.
    """
    scheduler = scheduler or os.environ.get(SCHEDULER_ENVIRONMENT_VARIABLE) or None
    if scheduler and not scheduler.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")):
        raise ValueError(f"scheduler {scheduler!r}: expected an address such as tcp://HOST:8786")
    if name not in ENGINES:
        raise ValueError(f"engine {name!r}: choose one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers {workers}: expected a whole number of at least 1")
    return scheduler


def open_engine(name: str, scheduler: str | None = None, workers: int | None = None, start_method: str | None = None):
    """The engine called ``name``; a ``scheduler`` address (or ``$DIGITS_SCHEDULER``) means Dask there.

    ``start_method`` is the process pool's (``"spawn"`` where the work imports TensorFlow).
    """
    scheduler = check_engine(name, scheduler, workers)
    if scheduler:
        return DaskEngine(scheduler=scheduler, workers=workers)
    if name == "processes":
        return ProcessEngine(workers=workers, start_method=start_method)
    return ENGINES[name](workers=workers)
