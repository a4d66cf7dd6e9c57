"""What-if scenarios: named sets of candidate 科普 sites added by a planner.

Saved in the user-data store (:mod:`atlas.store`): every save adds a version of the whole set
in one transaction, so a failed or interrupted save leaves the previous set current, and two
sessions saving at once are serialised by the store's lock. A legacy ``scenarios.json`` is
migrated once.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from atlas import settings, store
from atlas.errors import StorageError, ValidationError
from atlas.geodata import in_ningbo_extent

FILE_NAME = "scenarios.json"  # the legacy file, migrated into the store
_MIGRATED_KEY = "migrated_legacy_scenarios"


@dataclass
class Scenario:
    """A named set of added sites (WGS84) and the budget it was evaluated with."""

    name: str
    sites: list[dict[str, Any]] = field(default_factory=list)
    minutes: float = settings.WALK_MINUTES
    speed_kmh: float = settings.WALK_SPEED_KMH
    note: str = ""

    def add_site(self, lon: float, lat: float, *, label: str = "") -> dict[str, Any]:
        """Add a candidate site; returns it (with a generated id)."""
        if not (math.isfinite(lon) and math.isfinite(lat)) or not bool(in_ningbo_extent(lon, lat)):
            raise ValidationError("候选点不在宁波范围内", "The candidate is outside Ningbo")
        site: dict[str, Any] = {"id": f"new{len(self.sites) + 1:03d}", "name": str(label)[:100] or "候选点",
                "lon": float(lon), "lat": float(lat)}
        while any(s["id"] == site["id"] for s in self.sites):
            site["id"] += "b"
        self.sites.append(site)
        return site


def _parse(text: str) -> list[Scenario]:
    data = json.loads(text)
    return [Scenario(**s) for s in data["scenarios"]]


def _current(conn: store.StoreConnection) -> list[Scenario]:
    row = conn.execute("SELECT data FROM atlas_scenario_versions ORDER BY version_id DESC LIMIT 1"
                       ).fetchone()
    return _parse(row[0]) if row else []


def _ensure_migrated(folder: Path | str | None) -> None:
    """Move a legacy ``scenarios.json`` (and its ``history/scenarios/`` copies) into the store once."""
    root = store.location(folder)
    if not isinstance(root, Path) or not (legacy := root / FILE_NAME).exists():
        return
    history = root / "history" / "scenarios"
    files = sorted(history.glob("v*.json")) if history.is_dir() else []
    with store.transaction(folder) as conn:
        if conn.execute("SELECT 1 FROM atlas_meta WHERE key = ?", (_MIGRATED_KEY,)).fetchone():
            return
        texts: list[str] = []
        for p in [*files, legacy]:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                text = p.read_text(encoding="utf-8")
                _parse(text)  # only readable sets are migrated
                if not texts or texts[-1] != text:
                    texts.append(text)
        conn.executemany("INSERT INTO atlas_scenario_versions (created, data) VALUES (?, ?)",
                         [(store.now_utc(), t) for t in texts])
        conn.execute("INSERT INTO atlas_meta (key, value) VALUES (?, ?)",
                     (_MIGRATED_KEY, json.dumps({"at": store.now_utc(), "versions": len(texts)})))
    with contextlib.suppress(OSError):
        legacy.rename(legacy.with_name(FILE_NAME + ".migrated"))


def load_scenarios(*, folder: Path | str | None = None) -> list[Scenario]:
    """Load the saved scenarios (an empty list if none were saved).

    Raises
    ------
    atlas.errors.StorageError
        If the store cannot be read.

    """
    _ensure_migrated(folder)
    with store.reading(folder) as conn:
        try:
            return _current(conn)
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError("无法读取已保存的情景", "Cannot read the saved scenarios") from exc


def _check_names(scenarios: list[Scenario]) -> None:
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise ValidationError("情景名称不能为空或重复", "Scenario names must be unique and non-empty")


def _write(conn: store.StoreConnection, scenarios: list[Scenario], *, saved_by: str) -> int:
    try:
        text = json.dumps({"version": 1, "scenarios": [asdict(s) for s in scenarios]},
                          ensure_ascii=False)
    except (TypeError, ValueError, OSError) as exc:
        raise StorageError("保存失败，原有数据未改动（情景无法编码）",
                           "Saving failed; nothing saved before was changed (scenario not encodable)"
                           ) from exc
    cur = conn.execute("INSERT INTO atlas_scenario_versions (created, data, saved_by) VALUES (?, ?, ?) "
                       "RETURNING version_id", (store.now_utc(), text, str(saved_by)[:200]))
    return int(cur.fetchone()[0])


def save_scenarios(scenarios: list[Scenario], *, folder: Path | str | None = None, user: str = "") -> int:
    """Save the whole set of scenarios as a new version, in one transaction.

    ``user`` is recorded as the version's ``saved_by`` ("" when sign-in is off); the caller
    checks the user's role first (:func:`atlas.auth.require_editor`).

    Returns
    -------
    int
        The number of the saved version (earlier versions are kept in the store).

    Raises
    ------
    atlas.errors.ValidationError
        On empty or duplicate names (nothing is written).
    atlas.errors.StorageError
        If writing fails; the previously saved set stays current.

    """
    _check_names(scenarios)
    _ensure_migrated(folder)
    with store.transaction(folder) as conn:
        return _write(conn, scenarios, saved_by=user)


def save_scenario(scenario: Scenario, *, folder: Path | str | None = None, user: str = "") -> int:
    """Add or replace one scenario (by name), reading and writing in the same transaction.

    Two sessions saving different scenarios at the same time both keep theirs: the read of the
    current set happens under the write lock. ``user`` is recorded as the version's
    ``saved_by``. Returns the saved version's number.
    """
    _check_names([scenario])
    _ensure_migrated(folder)
    with store.transaction(folder) as conn:
        try:
            others = [s for s in _current(conn) if s.name != scenario.name]
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError("无法读取已保存的情景", "Cannot read the saved scenarios") from exc
        return _write(conn, [*others, scenario], saved_by=user)


def scenario_history(*, folder: Path | str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest saves of the scenario set, newest first: who saved which set, and when.

    Each entry has ``version``, ``created`` (UTC), ``saved_by`` ("" if saved without sign-in)
    and ``names`` (the scenarios in that save; ``None`` if that save cannot be read).
    """
    _ensure_migrated(folder)
    with store.reading(folder) as conn:
        rows = conn.execute("SELECT version_id, created, saved_by, data FROM atlas_scenario_versions "
                            "ORDER BY version_id DESC LIMIT ?", (int(limit),)).fetchall()
    out = []
    for version, created, saved_by, data in rows:
        try:
            names: list[str] | None = [s.name for s in _parse(data)]
        except (ValueError, KeyError, TypeError):
            names = None
        out.append({"version": int(version), "created": created, "saved_by": saved_by, "names": names})
    return out
