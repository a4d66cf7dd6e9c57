"""Write a briefing pack (same as the `export-briefing` command)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.cli import export_briefing_main

if __name__ == "__main__":
    raise SystemExit(export_briefing_main())
