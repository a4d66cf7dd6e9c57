"""Read an uploaded table (CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile) as text, limits first.

The importer's first step, kept apart from validation (:mod:`atlas.importing`) because it is
where hostile files do their harm. Every reader stops *before* the expensive work:

- CSV: decoded text is capped; the delimiter (``,`` ``;`` tab ``|`` ``，``) is detected from a
  sample by which one splits the rows into the most consistent number of fields; rows are read
  with :mod:`csv` one by one and the reader stops at the row limit.
- XLSX: the zip's declared uncompressed sizes are summed first (a zip bomb is refused unopened),
  text runs longer than a cell may hold are found by a byte scan before any XML is parsed, and
  the sheet is parsed as a stream (openpyxl's read-only row parser) that stops at the row limit.
  Merged cells (their ranges sit after the data in the sheet XML) are repaired by propagating the
  merged value into every cell of the range, and the user is told.
- GeoJSON/GeoPackage: layers are listed first (a file with several asks which one), the feature
  count is checked before reading, and GDAL's messages never reach the user with server paths.
- Zip: entries, declared sizes, passwords, unsafe paths and archives inside are checked on the
  zip's directory before anything is unpacked; only the files read are unpacked, with the bytes
  counted, under fixed names in a private folder. A Shapefile (several: the same choice as a
  GeoPackage's layers) is read as a GeoPackage is, its text as its .cpg says or as UTF-8 or
  GB18030, its coordinates from its .prj (without one: degrees if they can be, else refused).

Then, for every format, the header row is found (title rows above it are skipped and reported),
empty trailing columns (trailing commas) are dropped, and every cell is capped in length.
What was detected is returned in a :class:`ReadInfo`, for the page to show.

One module per concern: :mod:`atlas.readers.base` (limits, :class:`ReadInfo`, errors),
:mod:`atlas.readers.delimited` (CSV), :mod:`atlas.readers.xlsx`, :mod:`atlas.readers.geofile`
(GeoJSON, GeoPackage), :mod:`atlas.readers.archive` (zips), :mod:`atlas.readers.shapefile` and
:mod:`atlas.readers.table` (header row and columns). Everything public
is re-exported here.
"""

from atlas.readers.archive import ZipUpload, check_member_size, display_name, open_zip
from atlas.readers.base import (
    HEADER_WINDOW,
    LayerChoiceError,
    Limits,
    ReadInfo,
    cell_too_long,
    clean_detail,
    note,
    too_many_rows,
    unique_names,
    upload_error,
)
from atlas.readers.cleaning import clean_cells, clean_text
from atlas.readers.delimited import DELIMITER_NAMES, DELIMITERS, csv_rows, decode, sniff_delimiter
from atlas.readers.geofile import geo_table, list_geo_layers
from atlas.readers.shapefile import choose_shapefile, dbf_encoding, shapefile_table, unpacked_shapefile
from atlas.readers.table import find_header, table_from_rows
from atlas.readers.xlsx import xlsx_rows

__all__ = [
    "DELIMITERS",
    "DELIMITER_NAMES",
    "HEADER_WINDOW",
    "LayerChoiceError",
    "Limits",
    "ReadInfo",
    "ZipUpload",
    "cell_too_long",
    "check_member_size",
    "choose_shapefile",
    "clean_cells",
    "clean_detail",
    "clean_text",
    "csv_rows",
    "dbf_encoding",
    "decode",
    "display_name",
    "find_header",
    "geo_table",
    "list_geo_layers",
    "note",
    "open_zip",
    "shapefile_table",
    "sniff_delimiter",
    "table_from_rows",
    "too_many_rows",
    "unique_names",
    "unpacked_shapefile",
    "upload_error",
    "xlsx_rows",
]
