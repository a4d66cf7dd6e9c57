"""Sign-in and roles: the role check, roles files, trusted headers, the brake and local accounts."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from atlas import accounts, auth, settings
from atlas.accounts import add_user, authenticate, load_accounts, remove_user, set_password, set_role
from atlas.auth import (
    ANONYMOUS,
    SignInThrottle,
    User,
    auth_mode,
    require_editor,
    role_for,
    user_from_headers,
    user_from_oidc,
)
from atlas.errors import AuthenticationError, ConfigurationError, PermissionDeniedError, ValidationError

PW = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- roles ------------------------------------------------------------------------------------

def test_only_editors_may_save_and_their_name_is_recorded():
    assert require_editor(User("zhang", "editor", "local")) == "zhang"
    assert require_editor(ANONYMOUS) == ""  # sign-in off: one machine, saves record nobody
    for who in (User("li", "viewer", "local"), User("li", "viewer", "header"), None):
        with pytest.raises(PermissionDeniedError) as err:
            require_editor(who)
        assert "编辑者" in err.value.zh and "editor" in err.value.en


@pytest.mark.parametrize("mode", ["", "on", "LOCAL ", "ldap", "none"])
def test_an_unknown_sign_in_mode_is_refused_not_guessed(mode, monkeypatch):
    monkeypatch.setattr(settings, "AUTH_MODE", mode)
    with pytest.raises(ConfigurationError):
        auth_mode()
    with pytest.raises(ConfigurationError):  # nor is any header looked at
        user_from_headers({"X-Forwarded-User": "zhang"})


def test_roles_file_names_editors_and_the_default_applies_to_everyone_else(tmp_path):
    f = tmp_path / "roles.toml"
    f.write_text('[roles]\n"Zhang.San@bureau.example" = "editor"\n"王五" = "viewer"\n', encoding="utf-8")
    assert role_for("zhang.san@BUREAU.example", roles_file=f) == "editor"  # case does not matter
    assert role_for("王五", roles_file=f, default_role="editor") == "viewer"
    assert role_for("someone", roles_file=f, default_role="viewer") == "viewer"
    assert role_for("someone", roles_file=f, default_role="editor") == "editor"
    f.write_text('default_role = "editor"\n[roles]\n"x" = "viewer"\n', encoding="utf-8")
    assert role_for("someone", roles_file=f, default_role="viewer") == "editor"
    assert role_for("someone", roles_file=tmp_path / "missing.toml", default_role="viewer") == "viewer"


@pytest.mark.parametrize("text", ['[roles]\n"a" = "admin"\n', "[roles\n", '[roles]\n"a" = 1\n',
                                  'roles = "editor"\n', 'default_role = "root"\n'])
def test_a_broken_roles_file_is_an_error_never_a_role(tmp_path, text):
    f = tmp_path / "roles.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError):
        role_for("a", roles_file=f, default_role="viewer")


def test_an_invalid_default_role_is_an_error(tmp_path):
    with pytest.raises(ConfigurationError):
        role_for("a", roles_file=tmp_path / "none.toml", default_role="admin")


# --- trusted header ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["off", "local", "oidc"])
def test_the_user_header_is_ignored_unless_header_mode_is_configured(mode, tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"boss" = "editor"\n', encoding="utf-8")
    headers = {"X-Forwarded-User": "boss", "Remote-User": "boss"}
    assert user_from_headers(headers, mode=mode, roles_file=roles) is None
    assert user_from_headers(headers, mode=mode, header="Remote-User", roles_file=roles) is None


def test_header_mode_takes_the_configured_header_only(tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"boss" = "editor"\n', encoding="utf-8")
    kw = {"mode": "header", "roles_file": roles, "default_role": "viewer"}
    assert user_from_headers({"x-forwarded-user": " boss "}, **kw) == User("boss", "editor", "header")
    assert user_from_headers({"X-Forwarded-User": "clerk"}, **kw) == User("clerk", "viewer", "header")
    assert user_from_headers({"Remote-User": "boss"}, **kw) is None  # another header: nobody
    assert user_from_headers({"X-Forwarded-User": "  "}, **kw) is None
    assert user_from_headers({"Remote-User": "boss"}, header="remote-user", **kw).role == "editor"


def test_a_header_given_twice_or_with_control_characters_is_refused(tmp_path):
    class Multi(dict):
        def get_all(self, name):
            return ["boss", "clerk"] if name.lower() == "x-forwarded-user" else []

    kw = {"mode": "header", "roles_file": tmp_path / "r.toml", "default_role": "viewer"}
    with pytest.raises(AuthenticationError):
        user_from_headers(Multi(), **kw)
    for bad in ("boss\nX-Evil: 1", "a\x00b", "x" * 201):
        with pytest.raises(AuthenticationError):
            user_from_headers({"X-Forwarded-User": bad}, **kw)


def test_oidc_user_is_named_by_the_claim_and_gets_the_roles_file_role(tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"zhang@bureau.example" = "editor"\n', encoding="utf-8")
    info = {"is_logged_in": True, "email": "zhang@bureau.example", "sub": "abc123"}
    assert user_from_oidc(info, claim="email", roles_file=roles) == User(
        "zhang@bureau.example", "editor", "oidc")
    assert user_from_oidc(info, claim="preferred_username", roles_file=roles,
                          default_role="viewer") == User("abc123", "viewer", "oidc")
    assert user_from_oidc({"is_logged_in": False, "email": "zhang@bureau.example"}, roles_file=roles) is None
    with pytest.raises(AuthenticationError):
        user_from_oidc({"is_logged_in": True}, claim="email", roles_file=roles)


# --- brute-force brake ------------------------------------------------------------------------

def test_the_brake_locks_a_name_after_n_failures_for_the_window():
    clock = Clock()
    th = SignInThrottle(max_failures=3, lockout_s=60, clock=clock)
    for _ in range(2):
        th.failed("Zhang")
        th.check("zhang")  # still free
    th.failed("ZHANG")  # names count without regard to case
    with pytest.raises(AuthenticationError) as err:
        th.check("zhang")
    assert "1 分钟" in err.value.zh and "1 min" in err.value.en
    th.check("li")  # other names are not affected
    clock.now += 59
    assert th.locked_for("zhang") == pytest.approx(1)
    clock.now += 1.5
    assert th.locked_for("zhang") == 0
    th.check("zhang")


def test_success_clears_failures_and_the_brake_forgets_oldest_names():
    clock = Clock()
    th = SignInThrottle(max_failures=2, lockout_s=60, clock=clock, max_names=3)
    th.failed("a")
    th.succeeded("a")
    th.failed("a")
    th.check("a")
    for n in ("b", "c", "d", "e"):
        th.failed(n)
    assert len(th._failures) == 3


def test_the_brake_counts_correctly_from_many_threads():
    th = SignInThrottle(max_failures=1000, lockout_s=600)
    threads = [threading.Thread(target=lambda: [th.failed("x") for _ in range(100)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(th._failures["x"]) == 800


# --- local accounts ---------------------------------------------------------------------------

@pytest.fixture
def users_file(tmp_path):
    return tmp_path / "sub" / "users.json"


def test_accounts_file_holds_salted_argon2_hashes_never_passwords(users_file):
    add_user("zhang", PW, role="editor", path=users_file)
    add_user("li", PW, role="viewer", path=users_file)
    text = users_file.read_text(encoding="utf-8")
    assert PW not in text
    data = json.loads(text)
    hashes = [u["hash"] for u in data["users"].values()]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salts
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in users_file.parent.iterdir()) == ["users.json", "users.json.lock"]
    assert {a.name: a.role for a in load_accounts(path=users_file).values()} == {"zhang": "editor",
                                                                                "li": "viewer"}


def test_sign_in_right_and_wrong(users_file):
    add_user("zhang", PW, role="editor", path=users_file)
    th = SignInThrottle()
    assert authenticate("zhang", PW, throttle=th, path=users_file) == User("zhang", "editor", "local")
    for name, pw in [("zhang", PW + "x"), ("zhang", ""), ("nobody", PW), ("Zhang", PW), ("", ""),
                     ("zhang", "x" * 5000), ("zh\x00ang", PW)]:
        with pytest.raises(AuthenticationError) as err:
            authenticate(name, pw, throttle=th, path=users_file)
        assert err.value.en == "Wrong user name or password"  # the same for unknown names


def test_an_unknown_name_costs_a_hash_verification_like_a_known_one(users_file, monkeypatch):
    add_user("zhang", PW, role="editor", path=users_file)
    calls = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: calls.append(h) or real(h, p))
    for name in ("zhang", "nobody"):
        with pytest.raises(AuthenticationError):
            authenticate(name, "wrong password", throttle=SignInThrottle(), path=users_file)
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_lockout_refuses_even_the_right_password_until_it_expires(users_file):
    add_user("zhang", PW, role="editor", path=users_file)
    clock = Clock()
    th = SignInThrottle(max_failures=3, lockout_s=300, clock=clock)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            authenticate("zhang", "wrong password", throttle=th, path=users_file)
    with pytest.raises(AuthenticationError) as err:
        authenticate("zhang", PW, throttle=th, path=users_file)
    assert "Too many" in err.value.en
    clock.now += 301
    assert authenticate("zhang", PW, throttle=th, path=users_file).role == "editor"


def test_passwd_role_and_remove(users_file):
    add_user("zhang", PW, role="viewer", path=users_file)
    th = SignInThrottle()
    set_password("zhang", "another password", path=users_file)
    with pytest.raises(AuthenticationError):
        authenticate("zhang", PW, throttle=th, path=users_file)
    assert authenticate("zhang", "another password", throttle=th, path=users_file).role == "viewer"
    set_role("zhang", "editor", path=users_file)
    assert authenticate("zhang", "another password", throttle=th, path=users_file).role == "editor"
    remove_user("zhang", path=users_file)
    with pytest.raises(AuthenticationError):
        authenticate("zhang", "another password", throttle=th, path=users_file)
    assert load_accounts(path=users_file) == {}


@pytest.mark.parametrize(("name", "pw", "role"), [
    ("zhang", "short", "editor"), ("zhang", "x" * 1025, "editor"), ("zhang", PW, "admin"),
    ("a b", PW, "editor"), ("../etc", PW, "editor"), ("", PW, "editor"), ("x" * 65, PW, "editor"),
    ("zh\nang", PW, "editor"),
])
def test_bad_names_passwords_and_roles_are_refused_and_nothing_is_written(users_file, name, pw, role):
    with pytest.raises(ValidationError):
        add_user(name, pw, role=role, path=users_file)
    assert not users_file.exists()


def test_names_in_any_script_and_no_duplicates(users_file):
    add_user("张三", PW, role="editor", path=users_file)
    add_user("li.si@bureau-1", PW, role="viewer", path=users_file)
    with pytest.raises(ValidationError):
        add_user("张三", "another password", role="viewer", path=users_file)
    assert authenticate("张三", PW, throttle=SignInThrottle(), path=users_file).name == "张三"
    for missing in (set_password, remove_user):
        with pytest.raises(ValidationError):
            missing("nobody", *(["another password"] if missing is set_password else []), path=users_file)


@pytest.mark.parametrize("text", [
    "", "{", "[]", '{"format": "other", "users": {}}',
    '{"format": "ningbo-atlas-users", "users": {"a": {"role": "root", "hash": "x"}}}'])
def test_a_malformed_accounts_file_lets_nobody_in(users_file, text):
    users_file.parent.mkdir(parents=True)
    users_file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError):
        authenticate("a", PW, throttle=SignInThrottle(), path=users_file)
    with pytest.raises(ConfigurationError):  # and nothing overwrites it
        add_user("b", PW, role="editor", path=users_file)
    assert users_file.read_text(encoding="utf-8") == text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(users_file, monkeypatch):
    add_user("zhang", PW, role="editor", path=users_file)
    before = users_file.read_bytes()

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(accounts.json, "dump", broken)
    with pytest.raises(OSError):
        add_user("li", PW, role="viewer", path=users_file)
    assert users_file.read_bytes() == before
    assert sorted(p.name for p in users_file.parent.iterdir()) == ["users.json", "users.json.lock"]


def test_two_writers_at_once_keep_both_changes(users_file):
    errors = []

    def add(i):
        try:
            add_user(f"user{i}", PW, role="viewer", path=users_file)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(load_accounts(path=users_file)) == [f"user{i}" for i in range(6)]


def test_old_hash_parameters_are_upgraded_at_sign_in(users_file, monkeypatch):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: weak)
    add_user("zhang", PW, role="editor", path=users_file)
    old = load_accounts(path=users_file)["zhang"].hash
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher)
    authenticate("zhang", PW, throttle=SignInThrottle(), path=users_file)
    new = load_accounts(path=users_file)["zhang"].hash
    assert new != old and not PasswordHasher().check_needs_rehash(new)
    user = authenticate("zhang", PW, throttle=SignInThrottle(), path=users_file)
    assert auth.require_editor(user) == "zhang"


# --- the brake shared by several app processes ------------------------------------------------

def test_the_shared_brake_counts_failures_from_every_process(tmp_path):
    import subprocess
    import sys

    from atlas.auth import SharedSignInThrottle

    f = tmp_path / "users.json.failures.sqlite"
    here = SharedSignInThrottle(f, max_failures=3, lockout_s=60)
    here.failed("zhang")
    code = ("import sys; from pathlib import Path; from atlas.auth import SharedSignInThrottle as T; "
            "t = T(Path(sys.argv[1]), max_failures=3, lockout_s=60); t.failed('ZHANG'); t.failed('li')")
    subprocess.run([sys.executable, "-c", code, str(f)], check=True, timeout=60, cwd=ROOT)
    here.check("zhang")  # 2 of 3
    SharedSignInThrottle(f, max_failures=3, lockout_s=60).failed("zhang")  # a third process
    with pytest.raises(AuthenticationError):
        here.check("zhang")
    here.check("li")
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    here.succeeded("zhang")
    SharedSignInThrottle(f, max_failures=3, lockout_s=60).check("zhang")


def test_the_shared_brake_expires_failures_and_keeps_the_file_small(tmp_path):
    from atlas.auth import SharedSignInThrottle

    clock = Clock()
    th = SharedSignInThrottle(tmp_path / "f.sqlite", max_failures=3, lockout_s=60, clock=clock)
    for _ in range(50):
        th.failed("wang")
    assert th.locked_for("wang") == pytest.approx(60)
    clock.now += 61
    assert th.locked_for("wang") == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "f.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
    conn.close()


def test_an_unusable_shared_file_falls_back_to_the_process_count(tmp_path):
    from atlas.auth import SharedSignInThrottle

    (tmp_path / "dir").mkdir()
    th = SharedSignInThrottle(tmp_path / "dir", max_failures=2, lockout_s=60)  # a folder, not a file
    th.failed("zhang")
    th.check("zhang")
    th.failed("zhang")
    with pytest.raises(AuthenticationError):
        th.check("zhang")


def test_a_session_follows_the_account_file(users_file):
    from atlas.accounts import session_user

    add_user("zhang", PW, role="editor", path=users_file)
    digest = load_accounts(path=users_file)["zhang"].hash
    assert session_user("zhang", digest, path=users_file) == User("zhang", "editor", "local")
    set_role("zhang", "viewer", path=users_file)
    assert session_user("zhang", digest, path=users_file).role == "viewer"
    assert session_user("zhang", "forged", path=users_file) is None
    set_password("zhang", "a new password", path=users_file)
    assert session_user("zhang", digest, path=users_file) is None
    remove_user("zhang", path=users_file)
    assert "zhang" not in load_accounts(path=users_file)
    assert session_user("zhang", digest, path=users_file) is None


def test_an_edited_roles_file_applies_at_once(tmp_path):
    import os

    f = tmp_path / "roles.toml"
    f.write_text('[roles]\n"boss" = "editor"\n', encoding="utf-8")
    assert role_for("boss", roles_file=f, default_role="viewer") == "editor"
    f.write_text('[roles]\n"boss" = "viewer"\n', encoding="utf-8")  # same size
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))
    assert role_for("boss", roles_file=f, default_role="editor") == "viewer"
    f.unlink()
    assert role_for("boss", roles_file=f, default_role="editor") == "editor"
