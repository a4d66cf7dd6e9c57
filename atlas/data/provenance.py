"""Provenance records kept beside every geodata file (``<file>.provenance.toml``)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from atlas.errors import ValidationError

#: Keys every provenance record must have.
REQUIRED_KEYS: tuple[str, ...] = (
    "source", "date", "licence", "original_crs", "conversion", "positional_error",
)


def provenance_path(data_path: Path) -> Path:
    """Return where the provenance record of ``data_path`` lives."""
    return Path(data_path).with_name(Path(data_path).name + ".provenance.toml")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def dumps(record: dict[str, Any]) -> str:
    """Serialise a flat provenance record (str/number/bool/list values) as TOML."""
    return "".join(f"{k} = {_toml_value(v)}\n" for k, v in record.items())


def read_provenance(data_path: Path) -> dict[str, Any]:
    """Read and check the provenance record beside ``data_path``.

    Raises
    ------
    atlas.errors.ValidationError
        If the record is missing or lacks a required key.

    """
    p = provenance_path(data_path)
    if not p.exists():
        raise ValidationError(f"缺少来源记录：{p.name}", f"Missing provenance record: {p.name}")
    rec = tomllib.loads(p.read_text(encoding="utf-8"))
    missing = [k for k in REQUIRED_KEYS if k not in rec]
    if missing:
        raise ValidationError(
            f"{p.name} 缺少字段：{', '.join(missing)}", f"{p.name} lacks: {', '.join(missing)}"
        )
    return rec
