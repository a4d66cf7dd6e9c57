"""Run one import step in a worker process with a time and memory budget.

A hostile upload must not hang or exhaust the server that every planner shares. Each step
(reading a file, checking its rows) runs in a child process forked from a small pre-loaded fork
server (so it starts in milliseconds with pandas already imported); the child limits its own
address space (``RLIMIT_AS``), and the caller kills it when the time budget runs out. Either way
the caller gets a bilingual :class:`atlas.errors.UploadError`, and the server is free at once.

Why not :mod:`multiprocessing`'s own fork server: it re-imports the caller's ``__main__`` in the
server and in every child, and under Streamlit ``__main__`` is the page script itself (the page
would run again inside the worker). Plain ``fork`` from Streamlit's multi-threaded server is
unsafe. So the fork server here is a separate interpreter (``python -m atlas.guard``) that
imports only the importer, listens on a Unix socket in a private folder, and forks one child
per request from its single thread.

Errors the step raises on purpose (:class:`atlas.errors.AtlasError` and subclasses) come back
as the same class with the same messages; anything else becomes a clean message without a
traceback or a server path.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any, TypeVar

from atlas import settings
from atlas.errors import AtlasError, UploadError

T = TypeVar("T")

_PRELOAD = ("atlas.importing", "atlas.readers", "atlas.geo.datumcheck")
_lock = threading.Lock()
_server: dict[str, Any] = {}  # the one fork server of this process: {"proc", "address", "dir"}
# Import steps running at once in this process (all sessions share it), with their limit.
_slots: dict[int, threading.BoundedSemaphore] = {}


# --- the fork server (runs as ``python -m atlas.guard``) ----------------------------------------

def _address_space() -> int:
    try:
        return int(Path("/proc/self/statm").read_text("ascii").split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(budget: int) -> None:
    import resource

    # the budget comes on top of what the pre-loaded interpreter already maps
    limit = _address_space() + int(budget)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _run_request(conn: Connection) -> None:
    """In the forked child: read the request, run it under the memory limit, send the outcome."""
    conn.send(("pid", os.getpid()))
    fn, args, kwargs, memory_bytes = conn.recv()
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


def serve(address: str) -> None:
    """Listen on ``address`` and fork one child per connection (the parent never runs requests)."""
    for name in _PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    parent = os.getppid()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(16)
    sock.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:  # the app that started us is gone: stop
        try:
            client, _ = sock.accept()
        except TimeoutError:
            continue
        if os.fork() == 0:
            sock.close()
            code = 0
            try:
                client.settimeout(None)
                _run_request(Connection(client.detach()))
            except BaseException:
                code = 1
            os._exit(code)
        client.close()
    sock.close()
    with contextlib.suppress(OSError):  # the private socket folder goes with the server
        Path(address).unlink()
        Path(address).parent.rmdir()


# --- the caller's side -----------------------------------------------------------------------------

def _ensure_server() -> str:
    with _lock:
        proc = _server.get("proc")
        if proc is not None and proc.poll() is None:
            return str(_server["address"])
        d = tempfile.mkdtemp(prefix="atlas-guard-")  # 0700: only this user can connect
        address = str(Path(d) / "s")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc = subprocess.Popen([sys.executable, "-m", "atlas.guard", address], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline() if proc.stdout else ""
        if line.strip() != "ready":
            proc.kill()
            raise UploadError("无法启动导入工作进程", "The import worker could not be started")
        _server.update(proc=proc, address=address, dir=d)
        return address


def warm_up() -> None:
    """Start the fork server now (it imports pandas once), so the first import step is quick."""
    threading.Thread(target=_ensure_server, daemon=True).start()


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


def _outcome(out: tuple[Any, ...], zh: str, en: str) -> Any:
    if out[0] == "ok":
        return out[1]
    if out[0] == "memory":
        raise UploadError(f"{zh}所需内存超出上限，已停止",
                          f"The {en} step needed too much memory and was stopped")
    if out[0] == "atlas":
        raise _rebuild(*out[1:])
    raise UploadError(f"{zh}失败（{out[1]}）：文件内容无法处理",
                      f"The {en} step failed ({out[1]}): the file's content cannot be processed")


def _slot(workers: int) -> threading.BoundedSemaphore:
    with _lock:
        return _slots.setdefault(workers, threading.BoundedSemaphore(workers))


@contextlib.contextmanager
def worker_slot(*, workers: int | None = None, wait_s: float | None = None,
                step: tuple[str, str] = ("导入", "import")) -> Any:
    """Hold one of the ``workers`` import slots of this server, waiting at most ``wait_s``.

    Every session of a Streamlit server shares the slots, so a room of planners uploading
    large or hostile files at once costs at most ``workers`` time-and-memory budgets.

    Raises
    ------
    atlas.errors.UploadError
        When no slot frees up in time (the server is busy): nothing has been read yet.

    """
    workers = settings.IMPORT_MAX_WORKERS if workers is None else workers
    wait_s = settings.IMPORT_QUEUE_WAIT_S if wait_s is None else wait_s
    slot = _slot(max(1, int(workers)))
    if not slot.acquire(timeout=max(0.0, float(wait_s))):
        zh, en = step
        raise UploadError(
            f"服务器正忙：已有 {workers} 个导入在进行，等待 {wait_s:.0f} 秒仍无空位。"
            f"请稍后再试{zh}，已保存的数据未受影响",
            f"The server is busy: {workers} imports are already running and none finished within "
            f"{wait_s:.0f} s. Try the {en} step again shortly; nothing saved was touched")
    try:
        yield
    finally:
        slot.release()


def run_guarded(fn: Callable[..., T], /, *args: Any, time_s: float = settings.IMPORT_TIME_BUDGET_S,
                memory_bytes: int = settings.IMPORT_MEMORY_BYTES, step: tuple[str, str] = ("导入", "import"),
                workers: int | None = None, wait_s: float | None = None, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` in a worker process within a time and memory budget.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference), e.g.
        :func:`atlas.importing.read_table`.
    *args, **kwargs
        Its arguments (pickled to the worker).
    time_s : float
        Wall-clock budget of the call; the worker is killed when it runs out.
    memory_bytes : int
        Address space the worker may add to what the pre-loaded interpreter maps.
    step : (str, str)
        Chinese and English name of the step, for messages.
    workers, wait_s : int, float, optional
        How many steps may run at once in this server, and how long this one waits for a free
        slot (:func:`worker_slot`; default ``settings.IMPORT_MAX_WORKERS`` / ``IMPORT_QUEUE_WAIT_S``).

    Returns
    -------
    The function's result.

    Raises
    ------
    atlas.errors.AtlasError
        What the function raised on purpose, or an :class:`~atlas.errors.UploadError` when the
        worker ran out of time or memory, failed unexpectedly, or no slot freed up in time.

    """
    with worker_slot(workers=workers, wait_s=wait_s, step=step):
        return _call(fn, args, kwargs, time_s=time_s, memory_bytes=memory_bytes, step=step)


def _call(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], *, time_s: float,
          memory_bytes: int, step: tuple[str, str]) -> T:
    zh, en = step
    conn = Client(_ensure_server(), family="AF_UNIX")
    pid = None
    try:
        if conn.poll(10.0):
            pid = conn.recv()[1]
        conn.send((fn, args, kwargs, memory_bytes))
        if not conn.poll(time_s):
            if pid is not None:  # still working (it has not answered): stop it now
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            raise UploadError(
                f"{zh}超时（超过 {time_s:.0f} 秒）已停止：文件可能过大或构造异常，请精简后再试",
                f"The {en} step ran out of time ({time_s:.0f} s) and was stopped: the file may be "
                "too large or malformed; try a smaller one")
        try:
            out = conn.recv()
        except (EOFError, OSError) as exc:  # the worker died: its memory limit, or a crash
            raise UploadError(f"{zh}所需内存超出上限，已停止",
                              f"The {en} step needed too much memory and was stopped") from exc
    finally:
        conn.close()
    return _outcome(out, zh, en)


def measured(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[Any, float, int, int]:
    """Call ``fn``; return (result or ``("refused", zh, en)``, seconds, resident bytes before, peak).

    Meant to run inside the worker (``run_guarded(measured, fn, ...)``) for benchmarks: the
    peak is the worker's own ``ru_maxrss``, measured whether ``fn`` succeeds or refuses.
    """
    import resource
    import time

    before = int(Path("/proc/self/statm").read_text("ascii").split()[1]) * os.sysconf("SC_PAGE_SIZE")
    t0 = time.perf_counter()
    try:
        out: Any = fn(*args, **kwargs)
    except AtlasError as exc:
        out = ("refused", exc.zh, exc.en)
    seconds = time.perf_counter() - t0
    return out, seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    serve(sys.argv[1])
