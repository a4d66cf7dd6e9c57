"""Build a walking network for an area and cache it (same as the `build-network` command)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.cli import build_network_main

if __name__ == "__main__":
    raise SystemExit(build_network_main())
