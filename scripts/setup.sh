#!/usr/bin/env bash
# One entry point for a fresh Linux machine:
#   bash scripts/setup.sh app    install, then start the app on its shipped data
#   bash scripts/setup.sh test   install (with dev tools and headless Chromium), then lint, type-check and test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"
PY="${PYTHON:-python3}"

apt_install() {  # Debian packages: a CJK font for exports; chromium for the browser tests; PostgreSQL +
  # PostGIS, nginx and gdal-bin for the PostGIS store, several-process serving and GDAL read-back tests
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      apt-get update -q >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    fi
  elif command -v apt-get >/dev/null 2>&1; then
    echo "note: run as root (or: sudo apt-get install $*) for Chinese map exports / browser tests" >&2
  fi
}

test_workers() {  # one per core, at most 4; one process (0) on a single core
  local n
  n="$(nproc 2>/dev/null || echo 1)"
  if [ "$n" -gt 4 ]; then n=4; fi
  if [ "$n" -lt 2 ]; then n=0; fi
  echo "$n"
}

py_install() {  # uv (one small wheel) fetches and installs the packages in parallel: on a clean
  # machine .[dev] took 15 s with it and 382 s with pip (2026-12-06, load ~9); pip when uv fails
  if .venv/bin/python -m pip install -q uv >/dev/null 2>&1 &&
      .venv/bin/python -m uv pip install -q --python .venv/bin/python "$@"; then
    return
  fi
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q "$@"
}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
if [ "$mode" = test ]; then
  apt_install fonts-noto-cjk chromium postgresql postgresql-postgis nginx gdal-bin
  if [ "$(id -u)" = 0 ]; then  # packages installed: the PostGIS store tests fail, never skip
    export ATLAS_TEST_POSTGIS=required
  fi
  py_install -e ".[dev]"
  .venv/bin/ruff check atlas ui pages scripts tests streamlit_app.py
  .venv/bin/mypy
  set +e
  # pytest-xdist workers: one per core, at most 4 (ATLAS_TEST_WORKERS=0: one process). A test
  # module runs on one worker (its app server and browser start once; the briefing pack's
  # readers are one module); the modules that take longest go first (tests/conftest.py)
  # --durations: the slowest tests, printed at the end (where to look when the suite grows)
  .venv/bin/python -m pytest -n "${ATLAS_TEST_WORKERS:-$(test_workers)}" --dist loadscope --no-loadscope-reorder \
    --durations=30 "${@:2}"
  rc=$?
  set -e
  [ $rc -eq 5 ] && { echo "no tests collected" >&2; exit 1; }
  exit $rc
else
  apt_install fonts-noto-cjk
  py_install -e .
  exec .venv/bin/streamlit run streamlit_app.py --server.headless true --browser.gatherUsageStats false
fi
