"""What-if scenarios: named sets of candidate 科普 sites added by a planner.

A hypothetical site always belongs to a named scenario, and every figure that includes one says
so with :func:`badge` ("含 5 个假设站点 · 方案 A" / "Includes 5 hypothetical sites · scenario A"):
pages, tables, downloads and briefing exports call this one function. Candidates are numbered
(候选点 1, 2, … / Candidate 1, 2, …, :func:`site_label`) unless the planner names them.

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

import geopandas as gpd

from atlas import settings, store
from atlas.data.geodata import in_ningbo_extent
from atlas.errors import StorageError, ValidationError

#: Name of a new scenario.
DEFAULT_NAME = "A"

FILE_NAME = "scenarios.json"  # the legacy file, migrated into the store
_MIGRATED_KEY = "migrated_legacy_scenarios"


@dataclass
class Scenario:
    """A named set of added sites (WGS84) and the budget it was evaluated with.

    Each site is a dict: ``id``, ``number`` (1, 2, … in the order added; never reused),
    ``name`` (the planner's label, "" for none: :func:`site_label` numbers it), ``lon``, ``lat``.
    """

    name: str = DEFAULT_NAME
    sites: list[dict[str, Any]] = field(default_factory=list)
    minutes: float = settings.WALK_MINUTES
    speed_kmh: float = settings.WALK_SPEED_KMH
    note: str = ""

    def add_site(self, lon: float, lat: float, *, label: str = "") -> dict[str, Any]:
        """Add a candidate site; returns it (with a generated id and the next number)."""
        if not (math.isfinite(lon) and math.isfinite(lat)) or not bool(in_ningbo_extent(lon, lat)):
            raise ValidationError("候选点不在宁波范围内", "The candidate is outside Ningbo")
        number = max((site_number(s, i) for i, s in enumerate(self.sites)), default=0) + 1
        site: dict[str, Any] = {"id": f"new{number:03d}", "number": number, "name": clean_label(label),
                                "lon": float(lon), "lat": float(lat)}
        while any(s["id"] == site["id"] for s in self.sites):
            site["id"] += "b"
        self.sites.append(site)
        return site

    def rename_site(self, site_id: str, label: str) -> None:
        """Give a candidate the planner's name ("" brings back its number)."""
        self._site(site_id)["name"] = clean_label(label)

    def remove_site(self, site_id: str) -> None:
        """Remove a candidate (the others keep their numbers)."""
        self._site(site_id)
        self.sites = [s for s in self.sites if s["id"] != site_id]

    def _site(self, site_id: str) -> dict[str, Any]:
        for s in self.sites:
            if s["id"] == site_id:
                return s
        raise ValidationError("情景中没有这个候选点", "The scenario has no such candidate")

    def labels(self, lang: str = "zh") -> list[str]:
        """Every site's label in ``lang`` (:func:`site_label`), in order."""
        return [site_label(s, lang, i) for i, s in enumerate(self.sites)]

    def badge(self, lang: str = "zh") -> str:
        """:func:`badge` of this scenario ("" when it adds no site)."""
        return badge(len(self.sites), self.name, lang)


#: Labels older releases gave every candidate; read as "no label" (the number names it).
_LEGACY_LABELS = frozenset({"候选点", "Candidate"})


def clean_label(label: Any) -> str:
    """A planner's label as stored: control characters out, spaces trimmed, at most 100 characters."""
    text = "".join(ch for ch in str(label or "") if ch.isprintable())
    text = text.strip()[:100]
    return "" if text in _LEGACY_LABELS else text


def site_number(site: dict[str, Any], index: int) -> int:
    """A site's number (sites saved before numbering count by position, from 1)."""
    try:
        return int(site["number"])
    except (KeyError, TypeError, ValueError):
        return index + 1


def site_label(site: dict[str, Any], lang: str = "zh", index: int = 0) -> str:
    """The planner's label of a site, else "候选点 N" / "Candidate N" (``index``: its position)."""
    label = clean_label(site.get("name", ""))
    if label:
        return label
    n = site_number(site, index)
    return f"Candidate {n}" if lang == "en" else f"候选点 {n}"


def badge(n_sites: int, name: str, lang: str = "zh") -> str:
    """What a figure including hypothetical sites says about itself; "" without any.

    One function for pages, tables, downloads and exports: "含 5 个假设站点 · 方案 A",
    "Includes 5 hypothetical sites · scenario A".

    Parameters
    ----------
    n_sites : int
        Hypothetical sites the figure includes.
    name : str
        The scenario's name.
    lang : {"zh", "en"}
        Language of the words (the name is shown as the planner typed it).

    Returns
    -------
    str

    """
    if n_sites <= 0:
        return ""
    name = clean_label(name) or DEFAULT_NAME
    if lang == "en":
        named = name if name.lower().startswith("scenario") else f"scenario {name}"
        return f"Includes {n_sites} hypothetical site{'s' if n_sites != 1 else ''} · {named}"
    return f"含 {n_sites} 个假设站点 · {name if name.startswith('方案') else '方案 ' + name}"


def sites_frame(scenario: Scenario, lang: str = "zh") -> gpd.GeoDataFrame:
    """The scenario's sites as points (WGS84): ``id``, ``number``, ``name_zh`` (the label in ``lang``)."""
    sites = scenario.sites
    return gpd.GeoDataFrame(
        {"id": [str(s["id"]) for s in sites], "number": [site_number(s, i) for i, s in enumerate(sites)],
         "name_zh": scenario.labels(lang)},
        geometry=gpd.points_from_xy([float(s["lon"]) for s in sites], [float(s["lat"]) for s in sites]),
        crs=settings.CRS_WGS84)


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
