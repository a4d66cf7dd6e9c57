"""Run one import step in a worker process with a time and memory budget.

A hostile upload must not hang or exhaust the server that every planner shares. Each step
(reading a file, checking its rows) runs in a child process forked from a pre-loaded fork server
(so it starts in milliseconds with pandas already imported); the child limits its own address
space (``RLIMIT_AS``), and the parent kills it when the time budget runs out. Either way the
caller gets a bilingual :class:`atlas.errors.UploadError`, and the server is free again at once.

Errors the step raises on purpose (:class:`atlas.errors.AtlasError` and subclasses) come back
as the same class with the same messages; anything else becomes a clean message without a
traceback or a server path.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing as mp
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from atlas import settings
from atlas.errors import AtlasError, UploadError

T = TypeVar("T")

_PRELOAD = ["atlas.importing", "atlas.readers"]


def _context() -> Any:
    try:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    except ValueError:  # no fork server on this platform (Windows): a fresh interpreter
        return mp.get_context("spawn")


def _address_space() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(budget: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time budget still applies
        return
    # the budget comes on top of what the pre-loaded interpreter already maps
    limit = _address_space() + int(budget)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...],
           kwargs: dict[str, Any], memory_bytes: int) -> None:
    try:
        _limit_memory(memory_bytes)
        out: tuple[Any, ...] = ("ok", fn(*args, **kwargs))
    except MemoryError:
        out = ("memory",)
    except AtlasError as exc:
        extra = {k: v for k, v in vars(exc).items() if k not in ("zh", "en")}
        out = ("atlas", type(exc).__module__, type(exc).__qualname__, exc.zh, exc.en, extra)
    except Exception as exc:  # reported by type only: no traceback, no path
        out = ("crash", type(exc).__name__)
    try:
        conn.send(out)
    except MemoryError:
        conn.send(("memory",))
    finally:
        conn.close()


def _rebuild(module: str, qualname: str, zh: str, en: str, extra: dict[str, Any]) -> AtlasError:
    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part, None)
    if not (isinstance(cls, type) and issubclass(cls, AtlasError)):
        return UploadError(zh, en)
    err = AtlasError.__new__(cls)
    AtlasError.__init__(err, zh, en)
    vars(err).update(extra)
    return err


def run_guarded(fn: Callable[..., T], /, *args: Any, time_s: float = settings.IMPORT_TIME_BUDGET_S,
                memory_bytes: int = settings.IMPORT_MEMORY_BYTES, step: tuple[str, str] = ("导入", "import"),
                **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` in a worker process within a time and memory budget.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference), e.g.
        :func:`atlas.importing.read_table`.
    *args, **kwargs
        Its arguments (pickled to the worker).
    time_s : float
        Wall-clock budget; the worker is killed when it runs out.
    memory_bytes : int
        Address space the worker may add to what the pre-loaded interpreter maps.
    step : (str, str)
        Chinese and English name of the step, for messages.

    Returns
    -------
    The function's result.

    Raises
    ------
    atlas.errors.AtlasError
        What the function raised on purpose, or an :class:`~atlas.errors.UploadError` when the
        worker ran out of time or memory, or failed unexpectedly.

    """
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs, memory_bytes), daemon=True)
    proc.start()
    send.close()
    zh, en = step
    try:
        if not recv.poll(time_s):
            raise UploadError(
                f"{zh}超时（超过 {time_s:.0f} 秒）已停止：文件可能过大或构造异常，请精简后再试",
                f"The {en} step ran out of time ({time_s:.0f} s) and was stopped: the file may be "
                "too large or malformed; try a smaller one")
        try:
            out = recv.recv()
        except (EOFError, OSError) as exc:  # the worker died: its memory limit, or a crash
            raise UploadError(f"{zh}所需内存超出上限，已停止",
                              f"The {en} step needed too much memory and was stopped") from exc
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        with contextlib.suppress(ValueError):
            proc.close()
    if out[0] == "ok":
        return out[1]  # type: ignore[no-any-return]
    if out[0] == "memory":
        raise UploadError(f"{zh}所需内存超出上限，已停止",
                          f"The {en} step needed too much memory and was stopped")
    if out[0] == "atlas":
        raise _rebuild(*out[1:])
    raise UploadError(f"{zh}失败（{out[1]}）：文件内容无法处理",
                      f"The {en} step failed ({out[1]}): the file's content cannot be processed")


def measured(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> tuple[T, float, int, int]:
    """Call ``fn`` and return (result, seconds, resident bytes before, peak resident bytes).

    Meant to run inside the worker (``run_guarded(measured, fn, ...)``) for benchmarks: the
    peak is the worker's own ``ru_maxrss``.
    """
    import resource
    import time

    with open("/proc/self/statm", encoding="ascii") as fh:
        before = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    seconds = time.perf_counter() - t0
    return out, seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
