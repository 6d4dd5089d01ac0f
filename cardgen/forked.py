"""Work shared among forked worker processes, results taken in order, that can always stop.

Encoding a batch's codes, laying out its cards and verifying its sheets each run on every
core in forked workers (the encoder and the layout hold the interpreter lock, so threads
would not help). `multiprocessing.Pool.imap` hands every task out at once and, if the caller
stops early (an error, Ctrl-C), `Pool.terminate` can hang for good: a worker blocked writing a
large result (a laid-out card with its code is ~10 KB) holds the result queue's lock while
the pool has stopped reading it. Here at most a few chunks are out at a time, and stopping
early first collects those, so the workers are idle when the pool is closed; a stop costs
the time of the chunks in flight, not of the whole batch.

Workers ignore Ctrl-C: the interrupt is the parent's to handle (it cleans up its temporary
files); otherwise each worker would print its own traceback.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

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


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run_chunk(job: tuple[Callable[[T], R], Sequence[T]]) -> list[R]:
    function, items = job
    return [function(item) for item in items]


@contextmanager
def ordered_map(function: Callable[[T], R], items: Sequence[T], *, workers: int,
                chunk: int) -> Iterator[Iterator[R]]:
    """Within the block, an iterator of `function(item)` for every item, in order, computed
    by `workers` forked processes, `chunk` items a message. `function` must be a module-level
    function; what it needs beyond its item it finds in module globals set before the block
    (the fork copies them). An exception raised by `function` is raised to the caller when
    its result is reached."""
    context = mp.get_context("fork")
    # Ctrl-C while forking would land in an at-fork hook, which prints it and carries on:
    # held back until the workers exist, it interrupts the caller as anywhere else.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = context.Pool(workers, initializer=_ignore_interrupts)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    chunks = [items[start:start + chunk] for start in range(0, len(items), max(1, chunk))]
    pending: deque[AsyncResult[list[R]]] = deque()

    def results() -> Iterator[R]:
        next_chunk = 0
        while next_chunk < len(chunks) or pending:
            while next_chunk < len(chunks) and len(pending) < workers * AHEAD_PER_WORKER:
                pending.append(pool.apply_async(_run_chunk, ((function, chunks[next_chunk]),)))
                next_chunk += 1
            yield from pending.popleft().get()

    try:
        yield results()
    finally:
        # Collect what is in flight (its results are dropped), so no worker is left writing
        # to a queue nobody reads; then the pool closes cleanly.
        for waiting in pending:
            waiting.wait()
        pool.close()
        pool.join()
