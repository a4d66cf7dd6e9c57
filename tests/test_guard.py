"""Import workers are shared by every session of a server: a room of planners importing at once
costs at most ``IMPORT_MAX_WORKERS`` time-and-memory budgets, and one who waits too long is told
the server is busy (in both languages) instead of piling another worker on."""

from __future__ import annotations

import threading
import time

import pytest

from atlas.errors import UploadError
from atlas.guard import run_guarded


def stamped_sleep(seconds: float) -> tuple[float, float]:
    """Runs in the worker: when it started and ended (wall clock)."""
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    live = peak = 0
    for _, d in events:
        live += d
        peak = max(peak, live)
    return peak


def test_concurrent_imports_share_a_bounded_number_of_workers():
    spans: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            spans.append(run_guarded(stamped_sleep, 0.4, workers=2, wait_s=60))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and len(spans) == 6
    assert _max_overlap(spans) == 2  # never more than two workers at once, and both were used


def test_a_request_that_waits_too_long_is_told_the_server_is_busy_and_later_ones_run():
    holder = threading.Thread(target=run_guarded, args=(stamped_sleep, 3.0), kwargs={"workers": 1})
    holder.start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    with pytest.raises(UploadError) as err:
        run_guarded(stamped_sleep, 0.1, workers=1, wait_s=0.3)
    assert time.perf_counter() - t0 < 2.5  # it did not wait for the holder
    assert "server is busy" in err.value.en and "服务器正忙" in err.value.zh
    holder.join()
    start, end = run_guarded(stamped_sleep, 0.1, workers=1, wait_s=5)  # the slot is free again
    assert end >= start


def test_a_worker_killed_for_time_frees_its_slot():
    with pytest.raises(UploadError, match="ran out of time"):
        run_guarded(time.sleep, 30, time_s=0.5, workers=1, wait_s=1)
    start, end = run_guarded(stamped_sleep, 0.05, workers=1, wait_s=1)
    assert end >= start
