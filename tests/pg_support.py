"""A throw-away PostgreSQL + PostGIS cluster for tests: initdb and pg_ctl in a temp dir.

A pytest plugin (``tests/conftest.py`` loads it): the fixture ``postgres`` is the cluster's URL,
started once per test run; ``store_at`` is a fresh store on each backend (a parametrized
fixture: a temp folder's GeoPackage, then a new PostGIS schema).

The Debian packages (``postgresql``, ``postgresql-15-postgis-3``) are installed by
``scripts/setup.sh test``. The server runs as an unprivileged user (PostgreSQL refuses root): as
``nobody`` when the tests run as root, else as the current user. It listens on a free port of
127.0.0.1 only, trusts local connections, and is stopped and deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Set by ``scripts/setup.sh test``: a missing PostgreSQL fails the PostGIS tests instead of
#: skipping them.
REQUIRED = os.environ.get("ATLAS_TEST_POSTGIS") == "required"


def pg_bindir() -> Path | None:
    """The newest PostgreSQL whose PostGIS extension is installed."""
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True,
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0):
        version = bindir.parent.name
        if (bindir / "pg_ctl").exists() and \
                Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return bindir
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster with a database ``atlas`` (PostGIS installed); yield its URL."""
    bindir = pg_bindir()
    if bindir is None:
        if REQUIRED:
            pytest.fail("PostgreSQL with PostGIS is not installed (scripts/setup.sh test installs it)")
        pytest.skip("PostgreSQL with PostGIS is not installed")
    tmp = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(tmp, nobody.pw_uid, nobody.pw_gid)
        prefix = ["runuser", "-u", "nobody", "--"]
    port = free_port()
    data = tmp / "data"
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120, "cwd": tmp}
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U",
                        "atlas", "-E", "UTF8", "--no-instructions"], **run)  # type: ignore[call-overload]
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"),
                        "-w", "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 "
                        "-c max_connections=300", "start"], **run)  # type: ignore[call-overload]
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f"cannot start PostgreSQL: {exc.stderr or exc.stdout}")
    try:
        import psycopg

        with psycopg.connect(f"postgresql://atlas@127.0.0.1:{port}/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE atlas")
        with psycopg.connect(f"postgresql://atlas@127.0.0.1:{port}/atlas", autocommit=True) as c:
            c.execute("CREATE EXTENSION postgis")
        yield f"postgresql://atlas@127.0.0.1:{port}/atlas"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                        "stop"], capture_output=True, timeout=120, cwd=tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def schema_url(base: str, schema: str) -> str:
    """The URL of ``base`` whose tables live in ``schema`` (PostGIS stays in ``public``)."""
    return f"{base}?options=-csearch_path%3D{schema}%2Cpublic"


@contextlib.contextmanager
def fresh_schema(base: str) -> Iterator[tuple[str, str]]:
    """A new empty schema in the cluster: yields (its URL, its name); dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {name}")
    try:
        yield schema_url(base, name), name
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {name} CASCADE")


def gdal_source(url: str) -> str:
    """The GDAL/QGIS ``PG:`` connection string of a store URL from :func:`schema_url`."""
    from urllib.parse import parse_qs, unquote, urlsplit

    u = urlsplit(url)
    options = parse_qs(u.query).get("options", [""])[0]
    schema = options.split("search_path=")[1].split(",")[0] if "search_path=" in options else ""
    parts = [f"host={u.hostname}", f"port={u.port or 5432}", f"dbname={u.path.lstrip('/')}",
             f"user={unquote(u.username or '')}"]
    return "PG:" + " ".join(parts + ([f"active_schema={schema}"] if schema else []))


def read_with_gdal(url: str, layer: str, out: Path) -> Path:
    """Copy ``layer`` out of PostGIS with GDAL's ``ogr2ogr`` (gdal-bin), as QGIS reads it."""
    target = out / f"{layer}.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), gdal_source(url), layer], check=True,
                   capture_output=True, text=True, timeout=120)
    return target


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """The URL of a throw-away PostgreSQL + PostGIS cluster (started once per test run)."""
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["gpkg", "postgis"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """A fresh, empty store location: a user-data folder, or a PostGIS schema's URL."""
    if request.param == "gpkg":
        yield tmp_path / "store"
        return
    with fresh_schema(request.getfixturevalue("postgres")) as (url, _):
        yield url
