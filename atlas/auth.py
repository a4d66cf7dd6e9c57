"""Who may change what: users, the two roles, and the one check every write path makes.

Roles
-----
``viewer``
    browse, analyse and export.
``editor``
    also import, save layers, scenarios and indicator values.

Every function of the app that writes to the user store first calls :func:`require_editor` with
the session's :class:`User` and records the name it returns (``saved_by``)::

    save_user_layer(name, sites, user=require_editor(user))

so a viewer's session cannot save through any widget, whatever the page shows.

How users are known is :data:`atlas.settings.AUTH_MODE` (see :func:`auth_mode`): ``off`` (one
machine, no sign-in: :data:`ANONYMOUS` may edit), ``local`` (accounts with password hashes, in
:mod:`atlas.accounts`), ``header`` (a trusted reverse proxy names the user in a request header,
:func:`user_from_headers`) or ``oidc`` (Streamlit's ``st.login``, :func:`user_from_oidc`).
Proxy and provider users get their role from a roles file (:func:`role_for`).

The brute-force brake of the sign-in form is :class:`SignInThrottle` (in one process) or
:class:`SharedSignInThrottle` (in a file shared by the app processes of a machine).
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
import time
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlas import settings
from atlas.errors import AuthenticationError, ConfigurationError, PermissionDeniedError, ValidationError

#: The roles, least first.
ROLES: tuple[str, ...] = ("viewer", "editor")

#: The sign-in modes (:data:`atlas.settings.AUTH_MODE`).
MODES: tuple[str, ...] = ("off", "local", "header", "oidc")

#: Longest user name accepted from a proxy header or an identity provider (characters).
MAX_EXTERNAL_NAME = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class User:
    """A session's user: name (recorded with saves), role and how the user was known.

    ``name`` is "" for :data:`ANONYMOUS` (sign-in off).
    """

    name: str
    role: str
    source: str

    @property
    def can_edit(self) -> bool:
        """Whether the user may import and save (the ``editor`` role)."""
        return self.role == "editor"


#: The user of a single-machine app with sign-in off: may edit, recorded as nobody ("").
ANONYMOUS = User(name="", role="editor", source="off")


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`.

    Raises
    ------
    atlas.errors.ValidationError
        For any other value.

    """
    if role not in ROLES:
        shown = str(role)[:40]
        raise ValidationError(f"未知角色“{shown}”（可用：viewer 浏览者、editor 编辑者）",
                              f"Unknown role '{shown}' (roles: viewer, editor)")
    return role


def auth_mode(mode: str | None = None) -> str:
    """The sign-in mode in force (default :data:`atlas.settings.AUTH_MODE`), checked.

    Raises
    ------
    atlas.errors.ConfigurationError
        If the mode is not one of :data:`MODES`: the app then lets nobody in rather than
        guessing.

    """
    value = settings.AUTH_MODE if mode is None else mode
    if value not in MODES:
        shown = str(value)[:40]
        raise ConfigurationError(
            f"登录方式设置无效：ATLAS_AUTH=“{shown}”（可用：off、local、header、oidc）",
            f"Invalid sign-in setting ATLAS_AUTH='{shown}' (use off, local, header or oidc)")
    return value


def require_editor(user: User | None) -> str:
    """The name to record with a save, if ``user`` may save; the one role check of every write.

    Parameters
    ----------
    user : User or None
        The session's user (``None``: nobody signed in).

    Returns
    -------
    str
        ``user.name`` ("" for :data:`ANONYMOUS`), to pass as ``user=`` to the saving function.

    Raises
    ------
    atlas.errors.PermissionDeniedError
        If nobody is signed in or the user is not an editor; nothing is written.

    """
    if user is None or not user.can_edit:
        raise PermissionDeniedError("只有编辑者可以导入和保存（当前为只读浏览）",
                                    "Only editors may import and save (you are signed in to view)")
    return user.name


def clean_name(name: str, *, max_len: int = MAX_EXTERNAL_NAME) -> str:
    """A user name as recorded: NFKC-normalised, stripped, without control characters.

    Raises
    ------
    atlas.errors.ValidationError
        If the name is empty, too long or holds control characters.

    """
    text = unicodedata.normalize("NFKC", str(name)).strip()
    if not text or len(text) > max_len or _CONTROL.search(text):
        raise ValidationError(f"用户名无效（1–{max_len} 个字符，不含控制字符）",
                              f"Invalid user name (1-{max_len} characters, no control characters)")
    return text


# --- proxy and identity-provider users: roles from the roles file -----------------------------

def _read_roles(path: Path) -> tuple[dict[str, str], str | None]:
    """The roles file's mapping and default role, parsed again only when the file changed."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        raise ConfigurationError("角色文件无法读取（TOML 格式错误或无权限）",
                                 "The roles file cannot be read (bad TOML or no permission)") from exc
    return _parse_roles(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=8)
def _parse_roles(path: str, mtime_ns: int, size: int) -> tuple[dict[str, str], str | None]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError("角色文件无法读取（TOML 格式错误或无权限）",
                                 "The roles file cannot be read (bad TOML or no permission)") from exc
    roles = data.get("roles", {})
    default = data.get("default_role")
    if not isinstance(roles, dict) or not all(isinstance(v, str) for v in roles.values()):
        raise ConfigurationError("角色文件的 [roles] 应为“用户名 = 角色”",
                                 "The roles file's [roles] must map user names to roles")
    try:
        mapping = {clean_name(k).casefold(): check_role(v) for k, v in roles.items()}
        return mapping, (check_role(default) if default is not None else None)
    except ValidationError as exc:
        raise ConfigurationError("角色文件有误：" + exc.zh, "The roles file is wrong: " + exc.en) from exc


def role_for(name: str, *, roles_file: Path | None = None, default_role: str | None = None) -> str:
    """The role of a user known to a proxy or identity provider.

    Parameters
    ----------
    name : str
        The user's name as the proxy or provider gives it (compared without regard to case).
    roles_file : pathlib.Path, optional
        A TOML file with a ``[roles]`` table (``"zhang.san" = "editor"``) and optionally
        ``default_role``; default :data:`atlas.settings.AUTH_ROLES_FILE`. A missing file names
        nobody.
    default_role : str, optional
        Role of users the file does not name: the file's ``default_role``, else this, else
        :data:`atlas.settings.AUTH_DEFAULT_ROLE`.

    Raises
    ------
    atlas.errors.ConfigurationError
        If the roles file or the default role is invalid (the caller lets the user only view).

    """
    mapping, file_default = _read_roles(Path(roles_file or settings.AUTH_ROLES_FILE))
    key = clean_name(name).casefold()
    if key in mapping:
        return mapping[key]
    fallback = file_default or default_role or settings.AUTH_DEFAULT_ROLE
    try:
        return check_role(fallback)
    except ValidationError as exc:
        raise ConfigurationError("默认角色设置无效：" + exc.zh, "Invalid default role: " + exc.en) from exc


def _header_values(headers: Mapping[str, str], header: str) -> list[str]:
    getter = getattr(headers, "get_all", None)
    if callable(getter):
        return [str(v) for v in getter(header)]
    wanted = header.casefold()
    return [str(v) for k, v in headers.items() if str(k).casefold() == wanted]


def user_from_headers(headers: Mapping[str, str], *, mode: str | None = None, header: str | None = None,
                      roles_file: Path | None = None, default_role: str | None = None) -> User | None:
    """The user a trusted reverse proxy names in a request header, in ``header`` mode only.

    In any other mode the headers are not looked at: a client could send any header, and only
    a proxy configured to set (overwrite) it makes it trustworthy.

    Parameters
    ----------
    headers : Mapping
        The request's headers (``st.context.headers``); looked up without regard to case.
    mode : str, optional
        Default :data:`atlas.settings.AUTH_MODE`.
    header : str, optional
        Default :data:`atlas.settings.AUTH_HEADER`.
    roles_file, default_role
        As for :func:`role_for`.

    Returns
    -------
    User or None
        ``None`` if the mode is not ``header`` or the header is absent or empty.

    Raises
    ------
    atlas.errors.AuthenticationError
        If the header is given more than once or its value is not a valid name.
    atlas.errors.ConfigurationError
        As for :func:`role_for`.

    """
    if auth_mode(mode) != "header":
        return None
    values = [v.strip() for v in _header_values(headers, header or settings.AUTH_HEADER)]
    values = [v for v in values if v]
    if not values:
        return None
    if len(set(values)) > 1:
        raise AuthenticationError("代理传来的用户标头不唯一，拒绝登录",
                                  "The proxy's user header appears with different values: refused")
    try:
        name = clean_name(values[0])
    except ValidationError as exc:
        raise AuthenticationError("代理传来的用户名无效", "The user name from the proxy is invalid") from exc
    return User(name=name, role=role_for(name, roles_file=roles_file, default_role=default_role),
                source="header")


def user_from_oidc(info: Mapping[str, Any], *, claim: str | None = None, roles_file: Path | None = None,
                   default_role: str | None = None) -> User | None:
    """The user signed in through Streamlit's ``st.login`` (``st.user``), or ``None``.

    The name is the identity claim :data:`atlas.settings.AUTH_OIDC_CLAIM` (default ``email``),
    else the provider's subject ``sub``.
    """
    if not info.get("is_logged_in"):
        return None
    raw = info.get(claim or settings.AUTH_OIDC_CLAIM) or info.get("sub")
    if not raw:
        raise AuthenticationError("身份提供方未给出用户名", "The identity provider gave no user name")
    name = clean_name(str(raw))
    return User(name=name, role=role_for(name, roles_file=roles_file, default_role=default_role),
                source="oidc")


# --- the sign-in form's brute-force brake -----------------------------------------------------

class SignInThrottle:
    """Failed sign-ins per name: at most ``max_failures`` in any ``lockout_s`` window.

    A name that reached the limit is locked until its oldest counted failure is ``lockout_s``
    old (with the defaults, 5 failures lock a name for up to 5 minutes). Unknown names are
    counted like known ones, so the brake does not tell which names exist.
    Thread-safe (one instance serves every session of a server process); memory is bounded by
    forgetting the oldest names past ``max_names``.

    Parameters
    ----------
    max_failures : int
        Failures within ``lockout_s`` that lock a name (default
        :data:`atlas.settings.AUTH_MAX_FAILURES`).
    lockout_s : float
        The window in which failures count (default :data:`atlas.settings.AUTH_LOCKOUT_S`).
    clock : callable
        Monotonic seconds (a seam for tests).

    """

    def __init__(self, *, max_failures: int | None = None, lockout_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic, max_names: int = 10_000) -> None:
        self.max_failures = int(max_failures if max_failures is not None else settings.AUTH_MAX_FAILURES)
        self.lockout_s = float(lockout_s if lockout_s is not None else settings.AUTH_LOCKOUT_S)
        self._clock = clock
        self._max_names = max_names
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFKC", str(name)).strip().casefold()[:MAX_EXTERNAL_NAME]

    # storage of failure times (in memory here; in a file shared by processes in the subclass)
    def _times(self, key: str, now: float) -> list[float]:
        with self._lock:
            times = [t for t in self._failures.get(key, []) if now - t < self.lockout_s]
            if times:
                self._failures[key] = times
            else:
                self._failures.pop(key, None)
            return times

    def _record(self, key: str, now: float) -> None:
        with self._lock:
            times = [t for t in self._failures.get(key, []) if now - t < self.lockout_s]
            self._failures[key] = [*times, now][-self.max_failures:]
            while len(self._failures) > self._max_names:
                self._failures.pop(next(iter(self._failures)))

    def _forget(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def locked_for(self, name: str) -> float:
        """Seconds until ``name`` may try again (0 if it may now)."""
        now = self._clock()
        times = self._times(self._key(name), now)
        if len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[-self.max_failures] + self.lockout_s - now)

    def failed(self, name: str) -> None:
        """Count a failed sign-in for ``name``."""
        self._record(self._key(name), self._clock())

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name`` after it signed in."""
        self._forget(self._key(name))

    def check(self, name: str) -> None:
        """Raise if ``name`` is locked.

        Raises
        ------
        atlas.errors.AuthenticationError
            While the name is locked, saying for how long.

        """
        wait = self.locked_for(name)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            raise AuthenticationError(f"登录失败次数过多，请 {minutes} 分钟后再试",
                                      f"Too many failed sign-ins: try again in {minutes} min")


class SharedSignInThrottle(SignInThrottle):
    """The brake kept in an SQLite file, shared by every app process of the machine.

    Several app processes behind one proxy (or a client that drops the proxy's session cookie to
    reach another process) still get ``max_failures`` attempts per name in all, not per process.
    Times are wall-clock seconds. If the file cannot be used, the process falls back to its own
    count (the brake never stops a correct sign-in because of a disk fault).

    Parameters
    ----------
    path : pathlib.Path
        The file (created with permissions 0600; holds names and times, no passwords).
    max_failures, lockout_s
        As for :class:`SignInThrottle`.
    clock : callable
        Wall-clock seconds (a seam for tests).

    """

    def __init__(self, path: Path, *, max_failures: int | None = None, lockout_s: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(max_failures=max_failures, lockout_s=lockout_s, clock=clock)
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL)")
        conn.execute("CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at)")
        return conn

    def _shared(self, statements: list[tuple[str, tuple[Any, ...]]], query: tuple[str, tuple[Any, ...]] | None
                ) -> list[float] | None:
        try:
            conn = self._connect()
        except (sqlite3.Error, OSError):
            return None
        try:
            conn.execute("BEGIN IMMEDIATE")
            for sql, args in statements:
                conn.execute(sql, args)
            rows = conn.execute(*query).fetchall() if query else []
            conn.execute("COMMIT")
            return [float(r[0]) for r in rows]
        except sqlite3.Error:
            return None
        finally:
            conn.close()

    def _times(self, key: str, now: float) -> list[float]:
        found = self._shared([("DELETE FROM failures WHERE at <= ?", (now - self.lockout_s,))],
                             ("SELECT at FROM failures WHERE key = ? ORDER BY at", (key,)))
        return super()._times(key, now) if found is None else found

    def _record(self, key: str, now: float) -> None:
        keep = ("DELETE FROM failures WHERE key = ? AND rowid NOT IN (SELECT rowid FROM failures "
                "WHERE key = ? ORDER BY at DESC LIMIT ?)")
        done = self._shared([("INSERT INTO failures (key, at) VALUES (?, ?)", (key, now)),
                             (keep, (key, key, self.max_failures))], None)
        if done is None:
            super()._record(key, now)

    def _forget(self, key: str) -> None:
        self._shared([("DELETE FROM failures WHERE key = ?", (key,))], None)
        super()._forget(key)


__all__ = [
    "ANONYMOUS", "MODES", "ROLES", "SharedSignInThrottle", "SignInThrottle", "User", "auth_mode",
    "check_role", "clean_name", "require_editor", "role_for", "user_from_headers", "user_from_oidc",
]
