"""Work shared among forked worker processes, results taken in order, that can always stop.

Encoding a batch's codes, laying out its cards and verifying its sheets each run on every
core in forked workers (the encoder and the layout hold the interpreter lock, so threads
would not help). Two ways a pool of workers can leave a build waiting for ever, both met:
`multiprocessing.Pool.terminate` hangs when the caller stops early (an error, Ctrl-C) while a
worker is blocked writing a large result (a laid-out card with its code is ~10 KB) nobody
reads; and a `Pool` whose worker dies (killed, out of memory, a crash in native code) never
answers for that worker's task. Here a `ProcessPoolExecutor` runs the workers: its own
thread reads every result as it comes, and it notices a dead worker, which ends the build
with `WorkerLostError` instead of a wait. At most a few chunks are out at a time, so
stopping early costs the time of the chunks in flight, not of the whole batch.

Workers ignore Ctrl-C: the interrupt is the parent's to handle (it cleans up its temporary
files); otherwise each worker would print its own traceback.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar, overload

from cardgen.errors import WorkerLostError

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")

#: Chunks handed out ahead of the one the caller waits for, per worker: enough to keep every
#: worker busy while the caller takes a result, few enough to collect quickly when stopping.
AHEAD_PER_WORKER = 2


def available() -> bool:
    """Whether this system can fork workers (not Windows)."""
    return "fork" in mp.get_all_start_methods()


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _NoContext:
    """`ordered_map` was given no context: its function takes the item alone."""


#: In a worker process only, for its whole life: what `ordered_map`'s function gets besides
#: each item, handed over by the fork itself (never pickled).
_worker_context: object = _NoContext()


def _start_worker(context: object) -> None:
    global _worker_context
    _worker_context = context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run_chunk(job: tuple[Callable[..., R], Sequence[Any]]) -> list[R]:
    function, items = job
    if isinstance(_worker_context, _NoContext):
        return [function(item) for item in items]
    return [function(_worker_context, item) for item in items]


@overload
def ordered_map(function: Callable[[T], R], items: Sequence[T], *, workers: int,
                chunk: int) -> AbstractContextManager[Iterator[R]]: ...


@overload
def ordered_map(function: Callable[[C, T], R], items: Sequence[T], *, workers: int,
                chunk: int, context: C) -> AbstractContextManager[Iterator[R]]: ...


def ordered_map(function: Callable[..., R], items: Sequence[Any], *, workers: int,
                chunk: int, context: object = None) -> AbstractContextManager[Iterator[R]]:
    """Within the block, an iterator of `function(item)` (or, with a `context`,
    `function(context, item)`) for every item, in order, computed by `workers` forked
    processes, `chunk` items a message. `function` must be a module-level function (it is
    sent by name); the context reaches each worker through the fork, once, however big it
    is. An exception raised by `function` is raised to the caller when its result is
    reached; a worker that dies raises `WorkerLostError` there."""
    return _ordered_map(function, items, workers=workers, chunk=chunk,
                        context=_NoContext() if context is None else context)


@contextmanager
def _ordered_map(function: Callable[..., R], items: Sequence[Any], *, workers: int,
                 chunk: int, context: object) -> Iterator[Iterator[R]]:
    chunks = [items[start:start + chunk] for start in range(0, len(items), max(1, chunk))]
    pending: deque[Future[list[R]]] = deque()
    # With fork, the initializer's arguments are copied by the fork, not pickled.
    executor = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"),
                                   initializer=_start_worker, initargs=(context,))

    def submit(index: int) -> None:
        pending.append(executor.submit(_run_chunk, (function, chunks[index])))

    if chunks:
        # The workers are forked at the first submit. Ctrl-C while forking would land in an
        # at-fork hook, which prints it and carries on: held back until the workers exist,
        # it interrupts the caller as anywhere else.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            submit(0)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def results() -> Iterator[R]:
        next_chunk = len(pending)
        while next_chunk < len(chunks) or pending:
            try:
                while next_chunk < len(chunks) and len(pending) < workers * AHEAD_PER_WORKER:
                    submit(next_chunk)
                    next_chunk += 1
                done = pending.popleft().result()
            except BrokenProcessPool as lost:  # from submit too, once the pool knows
                raise WorkerLostError(
                    "a worker process stopped in the middle of the build (killed, out of "
                    "memory, or a crash in a library); nothing was written",
                    fix="run the build again, closing other programs if memory is short; "
                    "if it happens again with the same file, report it as a cardgen bug "
                    "with the input file",
                ) from lost
            yield from done

    try:
        yield results()
    finally:
        # Chunks not started are dropped; those running are waited for (a few at most), so
        # no worker outlives the block.
        executor.shutdown(wait=True, cancel_futures=True)
