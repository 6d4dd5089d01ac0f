"""Forked workers: results in order, errors raised where they belong, and a caller that stops
early (an error, Ctrl-C) gets out at once with no worker left behind, even when the results
are big (the way Pool.terminate could hang for good)."""

from __future__ import annotations

import multiprocessing
import signal

import pytest

from cardgen import forked


def square(n: int) -> int:
    return n * n


def big(n: int) -> bytes:
    return bytes([n % 256]) * 200_000  # larger than a pipe's buffer


def fails_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
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
