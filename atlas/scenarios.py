"""What-if scenarios: named sets of candidate 科普 sites added by a planner.

Saved as one JSON file in the user data folder, written atomically (a failed or interrupted save
leaves the previous file as it was); every save also keeps a versioned copy.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from atlas import settings
from atlas.errors import StorageError, ValidationError
from atlas.geodata import in_ningbo_extent
from atlas.storage import atomic_write_json, versioned_path

FILE_NAME = "scenarios.json"


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


def _folder(folder: Path | None) -> Path:
    return Path(folder) if folder is not None else settings.USER_DATA_DIR


def load_scenarios(*, folder: Path | None = None) -> list[Scenario]:
    """Load saved scenarios (an empty list if none were saved).

    Raises
    ------
    atlas.errors.StorageError
        If the file exists but cannot be read.

    """
    p = _folder(folder) / FILE_NAME
    if not p.exists():
        return []
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return [Scenario(**s) for s in data["scenarios"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"无法读取情景文件 {p.name}：{exc}",
                           f"Cannot read the scenario file {p.name}: {exc}") from exc


def save_scenarios(scenarios: list[Scenario], *, folder: Path | None = None) -> Path:
    """Save all scenarios atomically (and keep a versioned copy). Returns the file path."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise ValidationError("情景名称不能为空或重复", "Scenario names must be unique and non-empty")
    data = {"version": 1, "scenarios": [asdict(s) for s in scenarios]}
    root = _folder(folder)
    path = atomic_write_json(root / FILE_NAME, data)
    atomic_write_json(versioned_path(root / "history", "scenarios", ".json"), data)
    return path
