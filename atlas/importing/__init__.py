"""Import planners' own site lists: CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile.

Flow: :func:`read_table` (size/row limits, encoding detection) -> :func:`guess_mapping` (Chinese
and English headers, then the values) -> :func:`validate` (the user states the datum; every row
gets reasons) -> :func:`to_sites` (valid rows into the atlas's site schema) ->
:mod:`atlas.userlayers` to save. :func:`suggest_datum` flags a likely wrong datum by comparing
the points with reference positions the rows name (or with streets), and
:func:`datum_from_headers` reads what the coordinate columns' names say; neither converts
anything by itself. One module per concern:

* :mod:`atlas.importing.reading` — :func:`read_table` (the formats are :mod:`atlas.readers`);
* :mod:`atlas.importing.columns` — which column plays which role;
* :mod:`atlas.importing.validation` — :func:`validate`, a row check per concern;
* :mod:`atlas.importing.categories` — categories guessed from names (lists without a column);
* :mod:`atlas.importing.result` — :class:`ImportResult` and the reason codes;
* :mod:`atlas.importing.sites` — :func:`to_sites`;
* :mod:`atlas.importing.datums` — evidence about the datum;
* :mod:`atlas.importing.cells` — numbers and district names as lists write them.

Everything public is re-exported here, so ``from atlas.importing import validate`` keeps working.

Every imported string is untrusted: it is escaped wherever it reaches HTML (:mod:`atlas.webmap`),
never used in a path (:func:`atlas.io.storage.safe_name`) and neutralised in CSV/XLSX exports.
"""

from atlas.importing.categories import GUESS, category_counts, guess_categories
from atlas.importing.cells import district_at, functional_zones, numbers, stated_district, zone_hosts
from atlas.importing.columns import (
    HEADER_ALIASES,
    ROLES,
    ColumnGuess,
    guess_columns,
    guess_mapping,
    guess_mapping_from_names,
    header_roles,
    header_tokens,
    is_header_cell,
)
from atlas.importing.datums import (
    DATUM_WORDS,
    datum_from_headers,
    references_by_name,
    suggest_datum,
    suggest_datum_by_streets,
)
from atlas.importing.reading import read_table
from atlas.importing.result import REASONS, ImportResult, reason_text
from atlas.importing.sites import shape_kinds, to_sites
from atlas.importing.validation import CATEGORY_ALIASES, validate

__all__ = [
    "CATEGORY_ALIASES",
    "DATUM_WORDS",
    "GUESS",
    "HEADER_ALIASES",
    "REASONS",
    "ROLES",
    "ColumnGuess",
    "ImportResult",
    "category_counts",
    "datum_from_headers",
    "district_at",
    "functional_zones",
    "guess_categories",
    "guess_columns",
    "guess_mapping",
    "guess_mapping_from_names",
    "header_roles",
    "header_tokens",
    "is_header_cell",
    "numbers",
    "read_table",
    "reason_text",
    "references_by_name",
    "shape_kinds",
    "stated_district",
    "suggest_datum",
    "suggest_datum_by_streets",
    "to_sites",
    "validate",
    "zone_hosts",
]
