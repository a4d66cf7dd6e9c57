"""Which OSM ways are walkable: one definition, used by every data path.

The filters are Overpass QL way filters. The online path hands them to osmnx as
``custom_filter`` (Overpass evaluates them); the offline path evaluates the very same strings
in Python on each way's tags (:func:`way_matches`), so a network downloaded and a network built
from a local file of the same area agree. A way is kept if it matches any filter.

1. osmnx 2.x's own ``walk`` filter, verbatim.
2. Pedestrian ways the walk filter misses: ways explicitly open to pedestrians
   (``foot=yes|designated|permissive``) that the walk filter drops for their highway class
   (e.g. ``highway=cycleway`` with ``foot=designated``, a shared path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

OSMNX_WALK_FILTER: str = (
    '["highway"]["area"!~"yes"]["access"!~"private"]'
    '["highway"!~"abandoned|bus_guideway|construction|cycleway|motor|no|planned|'
    'platform|proposed|raceway|razed|rest_area|services"]'
    '["foot"!~"no"]["service"!~"private"]'
    '["sidewalk"!~"separate"]["sidewalk:both"!~"separate"]'
    '["sidewalk:left"!~"separate"]["sidewalk:right"!~"separate"]'
)

FOOT_ALLOWED_FILTER: str = (
    '["highway"]["area"!~"yes"]["access"!~"private"]'
    '["highway"!~"abandoned|construction|planned|proposed|razed|no"]'
    '["foot"~"^(yes|designated|permissive)$"]'
)

#: The walking filters, in the form osmnx's ``custom_filter`` takes.
WALK_FILTERS: tuple[str, ...] = (OSMNX_WALK_FILTER, FOOT_ALLOWED_FILTER)

_CLAUSE = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')

Clause = tuple[str, str, "re.Pattern[str] | None"]


@lru_cache(maxsize=32)
def parse_filter(way_filter: str) -> tuple[Clause, ...]:
    """Parse an Overpass way filter (``["k"]``, ``["k"~"re"]``, ``["k"!~"re"]`` clauses).

    Parameters
    ----------
    way_filter : str
        The filter string.

    Returns
    -------
    tuple
        (key, operator, compiled regex or None) per clause; operator is "has", "~" or "!~".

    Raises
    ------
    ValueError
        If the string holds anything but such clauses.

    """
    clauses: list[Clause] = []
    pos = 0
    for m in _CLAUSE.finditer(way_filter):
        if m.start() != pos:
            raise ValueError(f"unsupported filter syntax near {way_filter[pos:m.start() + 20]!r}")
        key, op, rx = m.group(1), m.group(2), m.group(3)
        clauses.append((key, op or "has", re.compile(rx) if op else None))
        pos = m.end()
    if pos != len(way_filter):
        raise ValueError(f"unsupported filter syntax near {way_filter[pos:pos + 20]!r}")
    return tuple(clauses)


def way_matches(tags: Mapping[str, str], filters: Sequence[str] = WALK_FILTERS) -> bool:
    """Return True if a way with ``tags`` passes any of ``filters`` (Overpass semantics).

    As in Overpass, ``["k"!~"re"]`` passes when the key is absent, and regexes are searched
    (unanchored) in the value.
    """
    for f in filters:
        ok = True
        for key, op, rx in parse_filter(f):
            value = tags.get(key)
            if op == "has":
                ok = value is not None
            elif op == "~":
                ok = value is not None and rx is not None and rx.search(value) is not None
            else:
                ok = value is None or rx is None or rx.search(value) is None
            if not ok:
                break
        if ok:
            return True
    return False
