"""Opt-in measurement of script runs (off, and free, by default).

* ``ATLAS_RUN_LOG=<file>``: each full run and each fragment-only run appends one line,
  ``<kind> <name> <start> <end> <thread cpu s>`` (``time.time()`` seconds). This is the server's
  own time for a run, which ``scripts/bench_app.py`` reports next to what the browser sees.
* ``ATLAS_PROFILE_DIR=<folder>``: each run also writes a cProfile file named
  ``<time>_<kind>_<name>_<cpu seconds>.prof``; ``scripts/bench_app.py --profile`` summarises
  them. Profiles count the run thread's own CPU time (``time.thread_time``), so a machine busy
  with other work does not inflate them.
"""

from __future__ import annotations

import contextlib
import cProfile
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_LOCK = threading.Lock()
_STATE = threading.local()


@contextlib.contextmanager
def profiled(kind: str, name: str) -> Iterator[None]:
    """Time (and profile) the block when ``ATLAS_RUN_LOG`` / ``ATLAS_PROFILE_DIR`` are set.

    A fragment inside a full run is part of that run: only fragment-only reruns get their own
    line.
    """
    log, folder = os.environ.get("ATLAS_RUN_LOG"), os.environ.get("ATLAS_PROFILE_DIR")
    nested = getattr(_STATE, "depth", 0) > 0
    if not (log or folder) or nested:
        yield
        return
    prof = cProfile.Profile(time.thread_time) if folder else None
    wall0, cpu0 = time.time(), time.thread_time()
    _STATE.depth = 1
    if prof is not None:
        prof.enable()
    try:
        yield
    finally:
        if prof is not None:
            prof.disable()
        _STATE.depth = 0
        wall1, cpu = time.time(), time.thread_time() - cpu0
        safe = "".join(c if c.isalnum() else "_" for c in name)[:40]
        if log:
            with _LOCK, Path(log).open("a", encoding="utf-8") as fh:
                fh.write(f"{kind} {safe} {wall0:.6f} {wall1:.6f} {cpu:.6f}\n")
        if prof is not None and folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            prof.dump_stats(Path(folder) / f"{wall0:.3f}_{kind}_{safe}_{cpu:.3f}.prof")


def profile_fragment(func: F) -> F:
    """Decorator: measure each fragment-only run of a fragment function (see :func:`profiled`)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with profiled("fragment", func.__name__):
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
