"""Opt-in profiling of script runs (set ``ATLAS_PROFILE_DIR``; off, and free, by default).

Each full run and each fragment run then writes a cProfile file named
``<time>_<kind>_<name>_<cpu seconds>.prof`` into that folder; ``scripts/bench_app.py --profile``
uses it to explain where a run's server time goes. The profiles count the run thread's own CPU
time (``time.thread_time``), so a machine busy with other work does not inflate them.
"""

from __future__ import annotations

import contextlib
import cProfile
import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _folder() -> Path | None:
    value = os.environ.get("ATLAS_PROFILE_DIR")
    return Path(value) if value else None


@contextlib.contextmanager
def profiled(kind: str, name: str) -> Iterator[None]:
    """Profile the block into ``ATLAS_PROFILE_DIR`` when it is set."""
    folder = _folder()
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    prof, t0 = cProfile.Profile(time.thread_time), time.thread_time()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        safe = "".join(c if c.isalnum() else "_" for c in name)[:40]
        prof.dump_stats(folder / f"{time.time():.3f}_{kind}_{safe}_{time.thread_time() - t0:.3f}.prof")


def profile_fragment(func: F) -> F:
    """Decorator: profile each run of a fragment function when profiling is on."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with profiled("fragment", func.__name__):
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
