from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

pytest_plugins = ["tests.pg_support"]  # the PostgreSQL cluster and the two-backend store fixtures


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path, monkeypatch):
    """Every test gets its own user-data and cache folders: nothing leaks between tests."""
    monkeypatch.setenv("ATLAS_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    from atlas import settings

    monkeypatch.setattr(settings, "USER_DATA_DIR", tmp_path / "user")
    monkeypatch.setattr(settings, "DATABASE_URL", "")  # never a database from the environment
    monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(settings, "OSM_DIR", tmp_path / "cache" / "osm")
    for var in ("ATLAS_AUTH", "ATLAS_USERS_FILE", "ATLAS_ROLES_FILE", "ATLAS_DEFAULT_ROLE",
                "ATLAS_AUTH_HEADER"):
        monkeypatch.delenv(var, raising=False)  # sign-in off unless a test turns it on
    monkeypatch.setattr(settings, "AUTH_MODE", "off")
    monkeypatch.setattr(settings, "AUTH_USERS_FILE", tmp_path / "user" / "users.json")
    monkeypatch.setattr(settings, "AUTH_ROLES_FILE", tmp_path / "user" / "roles.toml")


def shared_file(rel: str) -> Path:
    p = SHARED / rel
    if not p.exists():
        pytest.skip(f"../shared/{rel} is absent (read-only reference material, not shipped)")
    return p


# --- browser tests: one app server and one Chromium per test module (a module needing another
# app, e.g. with a prepared user folder, defines its own ``app_url``/``browser``) -------------

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A ``streamlit run`` of the app on 127.0.0.1 with fresh user and cache folders."""
    from tests.e2e_support import running_app

    with running_app(tmp_path_factory.mktemp("user"), tmp_path_factory.mktemp("cache")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    from tests.e2e_support import chromium

    with chromium() as b:
        yield b
