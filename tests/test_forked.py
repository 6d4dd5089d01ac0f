"""Forked workers: results in order, errors raised where they belong, and a caller that stops
early (an error, Ctrl-C) gets out at once with no worker left behind, even when the results
are big (the way Pool.terminate could hang for good), and a worker that dies ends the map
with an error instead of a wait for ever (the way a Pool waits for a dead worker's task)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

import pytest

from cardgen import workers as forked
from cardgen.errors import WorkerLostError


def square(n: int) -> int:
    return n * n


def big(n: int) -> bytes:
    return bytes([n % 256]) * 200_000  # larger than a pipe's buffer


def fails_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


def dies_on_seven(n: int) -> int:
    if n == 7:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return n


def interrupt_handler(_: int) -> bool:
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


pytestmark = pytest.mark.skipif(not forked.available(), reason="this system cannot fork")


def test_results_come_in_order() -> None:
    with forked.ordered_map(square, range(103), workers=2, chunk=4) as results:
        assert list(results) == [n * n for n in range(103)]
    assert multiprocessing.active_children() == []


def test_a_caller_that_stops_early_leaves_no_worker_behind() -> None:
    for _ in range(5):
        with (pytest.raises(RuntimeError, match="stop"),
              forked.ordered_map(big, range(200), workers=2, chunk=3) as results):
            for n, data in enumerate(results):
                assert data[0] == n % 256
                if n == 10:
                    raise RuntimeError("stop")
        assert multiprocessing.active_children() == []


def test_an_error_in_a_worker_is_raised_at_its_item() -> None:
    seen: list[int] = []
    with (pytest.raises(ValueError, match="seven"),
          forked.ordered_map(fails_on_seven, range(50), workers=2, chunk=2) as results):
        seen.extend(results)
    assert seen == list(range(6))


def test_workers_leave_ctrl_c_to_the_parent() -> None:
    with forked.ordered_map(interrupt_handler, range(4), workers=2, chunk=1) as results:
        assert list(results) == [True] * 4
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_no_items_make_no_results() -> None:
    with forked.ordered_map(square, [], workers=2, chunk=4) as results:
        assert list(results) == []
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_ends_the_map_with_an_error_not_a_wait() -> None:
    outcome: list[object] = []

    def run() -> None:
        try:
            with forked.ordered_map(dies_on_seven, range(60), workers=2, chunk=2) as results:
                outcome.extend(results)
        except WorkerLostError as error:
            outcome.append(error)

    # in a thread with a deadline, so that the old hang fails this test instead of the suite
    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the map still waits for the dead worker's results"
    error = outcome[-1]
    assert isinstance(error, WorkerLostError) and error.code == "CG990"
    assert "stopped in the middle of the build" in error.message
    assert outcome[:-1] == list(range(len(outcome) - 1))  # what came before, in order
    assert multiprocessing.active_children() == []
