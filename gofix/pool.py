"""One worker pool: work spread over processes, each building what it needs once.

Every command that uses several cores goes through ``Pool``: ``check`` and ``clean`` (each worker
builds its repairer once), ``reconcile`` (its judge) and the grouping of an archive's records. A
pool of ``jobs`` > 1 starts that many *spawned* processes (torch and ``fork`` do not mix), each of
which calls ``factory()`` once and hands the result, its *state*, to every task it runs; with
``jobs`` <= 1 nothing is started and the tasks run here, on a state built here. A task is a
module-level function ``fn(state, item)`` (picklable); ``factory`` is picklable too.
"""

from __future__ import annotations

import itertools
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

_STATE = None  # in a worker process: what the pool's factory built there, once


def _start(factory) -> None:
    global _STATE
    _STATE = factory() if factory is not None else None


def _run(fn, item):
    return fn(_STATE, item)


class Pool:
    """``jobs`` worker processes (none for ``jobs`` <= 1) running ``fn(state, item)`` tasks."""

    def __init__(self, jobs: int, factory: Callable[[], object] | None = None):
        if jobs > 1:
            self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start, initargs=(factory,))
            self.state = None
        else:
            self._executor = None
            self.state = factory() if factory is not None else None

    @property
    def parallel(self) -> bool:
        """Whether tasks run in worker processes."""
        return self._executor is not None

    def submit(self, fn, item) -> Future:
        """``fn(state, item)`` in a worker; without workers, run now (its result or error in the future)."""
        if self._executor is not None:
            return self._executor.submit(_run, fn, item)
        done: Future = Future()
        try:
            done.set_result(fn(self.state, item))
        except Exception as exc:  # noqa: BLE001 - handed to whoever asks for the result, as a worker's would be
            done.set_exception(exc)
        return done

    def map(self, fn, items: Iterable) -> Iterator:
        """``fn(state, item)`` for each item, results in order; without workers, lazily, one by one."""
        if self._executor is not None:
            return self._executor.map(_run, itertools.repeat(fn), items)
        return (fn(self.state, item) for item in items)

    def close(self) -> None:
        """Stop the workers; tasks not started are cancelled."""
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
