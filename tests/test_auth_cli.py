"""``atlas users``: the command that manages local accounts (run as an administrator would)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from atlas.accounts import load_accounts
from atlas.auth import SignInThrottle

ROOT = Path(__file__).resolve().parent.parent


def atlas_users(*args: str, stdin: str = "", path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "atlas.cli", "users", "--file", str(path), *args],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


def test_add_passwd_role_list_remove_from_the_command_line(tmp_path):
    from atlas.accounts import authenticate

    f = tmp_path / "users.json"
    r = atlas_users("add", "zhang", "--role", "editor", "--password-stdin", stdin="first password\n", path=f)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert "first password" not in f.read_text(encoding="utf-8")
    assert authenticate("zhang", "first password", throttle=SignInThrottle(), path=f).role == "editor"
    assert atlas_users("add", "li", "--password-stdin", stdin="li's password\n", path=f).returncode == 0
    assert load_accounts(path=f)["li"].role == "viewer"  # the default role

    r = atlas_users("passwd", "zhang", "--password-stdin", stdin="second password\n", path=f)
    assert r.returncode == 0, r.stderr
    assert authenticate("zhang", "second password", throttle=SignInThrottle(), path=f).name == "zhang"
    assert atlas_users("role", "zhang", "viewer", path=f).returncode == 0

    listing = atlas_users("list", path=f)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert [ln.split("\t")[:2] for ln in lines] == [["li", "viewer"], ["zhang", "viewer"]]
    assert "$argon2" not in listing.stdout

    assert atlas_users("remove", "li", path=f).returncode == 0
    assert sorted(json.loads(f.read_text(encoding="utf-8"))["users"]) == ["zhang"]


def test_the_command_refuses_bad_input_in_the_chosen_language(tmp_path):
    f = tmp_path / "users.json"
    short = atlas_users("--lang", "en", "add", "zhang", "--password-stdin", stdin="short\n", path=f)
    assert short.returncode == 2 and "8-1024 characters" in short.stderr and not f.exists()
    atlas_users("add", "zhang", "--password-stdin", stdin="a good password\n", path=f)
    dup = atlas_users("add", "zhang", "--password-stdin", stdin="a good password\n", path=f)
    assert dup.returncode == 2 and "已存在" in dup.stderr
    for args in (("passwd", "nobody", "--password-stdin"), ("remove", "nobody"),
                 ("role", "nobody", "editor")):
        r = atlas_users(*args, stdin="a good password\n", path=f)
        assert r.returncode == 2 and "nobody" in r.stderr, args
    bad_role = atlas_users("add", "li", "--role", "admin", "--password-stdin", stdin="a good password\n",
                           path=f)
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    assert sorted(load_accounts(path=f)) == ["zhang"]


def test_without_a_terminal_the_password_must_come_from_stdin(tmp_path):
    r = atlas_users("add", "zhang", stdin="", path=tmp_path / "users.json")
    assert r.returncode != 0 and "--password-stdin" in r.stderr
    assert not (tmp_path / "users.json").exists()
