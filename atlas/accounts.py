"""Local accounts: a file of user names, roles and salted password hashes (``ATLAS_AUTH=local``).

The file (:data:`atlas.settings.AUTH_USERS_FILE`, JSON) holds, per user, the role and an
Argon2id hash made by ``argon2-cffi`` (each with its own random salt; the parameters are kept in
the hash, so hashes made with older parameters are upgraded at the next sign-in). Nothing in it
is a password. It is managed with ``atlas users`` (:mod:`atlas.cli`) and written atomically
(a temporary file in the same folder, flushed, then renamed over the old one) with permissions
0600, under an exclusive lock so that two commands never lose each other's change.

:func:`authenticate` checks a name and password: the password is always verified against a hash,
a dummy one for an unknown name, so the answer takes as long for an unknown name as for a
wrong password, and says only "wrong name or password".
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from atlas import settings
from atlas.auth import SignInThrottle, User, check_role, clean_name
from atlas.errors import AuthenticationError, ConfigurationError, ValidationError

FORMAT = "ningbo-atlas-users"

#: Shortest and longest password accepted (characters).
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

#: Longest local user name (characters); letters (any script), digits and ``. _ @ + -``.
MAX_NAME = 64
_NAME_RE = re.compile(r"^[\w.@+-]+$")


@dataclass(frozen=True)
class Account:
    """One local account as stored: name, role, password hash and when it was made and changed."""

    name: str
    role: str
    hash: str
    created: str
    changed: str


def now_utc() -> str:
    """Current UTC time as ISO 8601 text."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("no such user: a hash to verify against, for equal time")


def _path(path: Path | None) -> Path:
    return Path(path) if path is not None else settings.AUTH_USERS_FILE


def check_name(name: str) -> str:
    """A local user name, normalised (NFKC, stripped).

    Raises
    ------
    atlas.errors.ValidationError
        Unless it is 1-64 letters (any script), digits or ``. _ @ + -``.

    """
    text = clean_name(name, max_len=MAX_NAME)
    if not _NAME_RE.fullmatch(text):
        raise ValidationError(f"用户名只能含字母、数字和 . _ @ + -（至多 {MAX_NAME} 个字符）",
                              f"A user name holds letters, digits and . _ @ + - (at most {MAX_NAME})")
    return text


def check_password(password: str) -> str:
    """``password`` if it is long enough and not too long.

    Raises
    ------
    atlas.errors.ValidationError
        If it is shorter than :data:`MIN_PASSWORD` or longer than :data:`MAX_PASSWORD`.

    """
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"密码须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符",
                              f"A password has {MIN_PASSWORD}-{MAX_PASSWORD} characters")
    return password


def _parse(text: str) -> dict[str, Account]:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("users"), dict):
        raise ValueError("not an atlas users file")
    out = {}
    for name, rec in data["users"].items():
        acct = Account(name=check_name(name), role=check_role(rec["role"]), hash=str(rec["hash"]),
                       created=str(rec.get("created", "")), changed=str(rec.get("changed", "")))
        out[acct.name] = acct
    return out


def load_accounts(*, path: Path | None = None) -> dict[str, Account]:
    """The accounts in the file (none if it does not exist), by name.

    Raises
    ------
    atlas.errors.ConfigurationError
        If the file cannot be read or is not an accounts file (nobody can sign in then).

    """
    try:
        text = _path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError("账户文件无法读取", "The accounts file cannot be read") from exc
    try:
        return _parse(text)
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise ConfigurationError("账户文件格式有误", "The accounts file is malformed") from exc


def _write(path: Path, accounts: dict[str, Account]) -> None:
    data = {"format": FORMAT, "version": 1,
            "users": {a.name: {"role": a.role, "hash": a.hash, "created": a.created, "changed": a.changed}
                      for a in sorted(accounts.values(), key=lambda a: a.name)}}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def _changing(path: Path | None) -> Iterator[dict[str, Account]]:
    """Read the accounts under an exclusive lock; write them back if the block succeeds."""
    target = _path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_fd = os.open(target.with_name(target.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        accounts = load_accounts(path=target)
        yield accounts
        _write(target, accounts)
    finally:
        os.close(lock_fd)  # releases the lock


def add_user(name: str, password: str, *, role: str, path: Path | None = None) -> Account:
    """Add a local account.

    Raises
    ------
    atlas.errors.ValidationError
        If the name, password or role is invalid, or the name is taken (nothing is changed).

    """
    name, role = check_name(name), check_role(role)
    digest = _hasher().hash(check_password(password))
    with _changing(path) as accounts:
        if name in accounts:
            raise ValidationError(f"用户“{name}”已存在", f"User '{name}' exists already")
        now = now_utc()
        accounts[name] = Account(name=name, role=role, hash=digest, created=now, changed=now)
        return accounts[name]


def _existing(accounts: dict[str, Account], name: str) -> Account:
    if name not in accounts:
        raise ValidationError(f"没有用户“{name}”", f"No user '{name}'")
    return accounts[name]


def set_password(name: str, password: str, *, path: Path | None = None) -> None:
    """Give an account a new password (a new salt and hash)."""
    name = check_name(name)
    digest = _hasher().hash(check_password(password))
    with _changing(path) as accounts:
        old = _existing(accounts, name)
        accounts[name] = Account(name, old.role, digest, old.created, now_utc())


def set_role(name: str, role: str, *, path: Path | None = None) -> None:
    """Change an account's role."""
    name, role = check_name(name), check_role(role)
    with _changing(path) as accounts:
        old = _existing(accounts, name)
        accounts[name] = Account(name, role, old.hash, old.created, now_utc())


def remove_user(name: str, *, path: Path | None = None) -> None:
    """Remove an account (what it saved keeps its name in the history)."""
    name = check_name(name)
    with _changing(path) as accounts:
        _existing(accounts, name)
        del accounts[name]


def _verify(digest: str, password: str) -> bool:
    try:
        return bool(_hasher().verify(digest, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _upgrade_hash(acct: Account, password: str, path: Path | None) -> None:
    """Re-hash with the current parameters when the stored hash used older ones."""
    if not _hasher().check_needs_rehash(acct.hash):
        return
    with contextlib.suppress(OSError, ConfigurationError), _changing(path) as accounts:
        if name_acct := accounts.get(acct.name):
            accounts[acct.name] = Account(acct.name, name_acct.role, _hasher().hash(password),
                                          name_acct.created, name_acct.changed)


def authenticate(name: str, password: str, *, throttle: SignInThrottle, path: Path | None = None) -> User:
    """Check a local user's name and password.

    Parameters
    ----------
    name, password : str
        As typed in the sign-in form.
    throttle : SignInThrottle
        The server's brute-force brake: a locked name is refused before its password is looked
        at, and every failure is counted.
    path : pathlib.Path, optional
        The accounts file (default :data:`atlas.settings.AUTH_USERS_FILE`).

    Returns
    -------
    atlas.auth.User
        The signed-in user with the account's role.

    Raises
    ------
    atlas.errors.AuthenticationError
        For a wrong name or password (one message for both) or a locked name.
    atlas.errors.ConfigurationError
        If the accounts file cannot be read.

    """
    throttle.check(name)
    accounts = load_accounts(path=path)
    try:
        acct: Account | None = accounts.get(check_name(name))
    except ValidationError:
        acct = None
    text = password if isinstance(password, str) and len(password) <= MAX_PASSWORD else ""
    ok = _verify(acct.hash if acct is not None else _dummy_hash(), text)  # same work either way
    if acct is None or not ok or not text:
        throttle.failed(name)
        raise AuthenticationError("用户名或密码错误", "Wrong user name or password")
    throttle.succeeded(name)
    _upgrade_hash(acct, text, path)
    return User(name=acct.name, role=acct.role, source="local")


@functools.lru_cache(maxsize=4)
def _snapshot(path: str, ino: int, mtime_ns: int, size: int) -> dict[str, Account]:
    """The accounts as read for checking sessions (never for changing the file)."""
    return load_accounts(path=Path(path))


def session_user(name: str, digest: str, *, path: Path | None = None) -> User | None:
    """The user of a signed-in session as the accounts file says now, or ``None``.

    A session keeps the name and the password hash it signed in with; at each step the account
    is looked up again, so a changed role applies at once, and a removed account or a changed
    password ends the session.

    Raises
    ------
    atlas.errors.ConfigurationError
        If the accounts file cannot be read.

    """
    target = _path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError("账户文件无法读取", "The accounts file cannot be read") from exc
    # every write replaces the file (a new inode), so the key changes with each change
    acct = _snapshot(str(target), info.st_ino, info.st_mtime_ns, info.st_size).get(name)
    if acct is None or acct.hash != digest:
        return None
    return User(name=acct.name, role=acct.role, source="local")


def describe(accounts: dict[str, Any]) -> list[dict[str, str]]:
    """Rows for listing accounts: name, role, created, changed (never the hash)."""
    return [{"name": a.name, "role": a.role, "created": a.created, "changed": a.changed}
            for a in sorted(accounts.values(), key=lambda a: a.name)]


__all__ = [
    "MAX_NAME", "MAX_PASSWORD", "MIN_PASSWORD", "Account", "add_user", "authenticate", "check_name",
    "check_password", "describe", "load_accounts", "remove_user", "session_user", "set_password",
    "set_role",
]
