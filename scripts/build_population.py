"""Copy the 2024 resident population by district into geodata/ with its provenance.

Usage:  python scripts/build_population.py
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import settings
from atlas.data.provenance import dumps, provenance_path
from atlas.io.storage import atomic_write, atomic_write_text

SRC = settings.PROJECT_ROOT.parent / "shared" / "reference" / "population_2024.csv"

if __name__ == "__main__":
    df = pd.read_csv(SRC)
    df["resident_pop_2024"] = (df.resident_pop_10k_2024 * 10_000).round().astype(int)
    out = settings.GEODATA_DIR / "population.csv"
    atomic_write(out, lambda p: df.to_csv(p, index=False, encoding="utf-8"))
    atomic_write_text(provenance_path(out), dumps({
        "title": "Resident population by county-level division, 2024 (and 2020 census where known)",
        "source": "Ningbo 2024 statistical bulletin (宁波市2024年国民经济和社会发展统计公报), "
                  "via the project's shared reference population_2024.csv; 2020 census figures "
                  "from the 7th national census where captured",
        "date": str(date.today()),
        "licence": "official statistics (public)",
        "original_crs": "n/a (table keyed by adcode)",
        "conversion": "resident_pop_2024 = resident_pop_10k_2024 x 10,000",
        "positional_error": "n/a; note: Yinzhou includes the National Hi-tech Zone (16.1万), "
                            "Cixi includes Qianwan New Area (29.0万)",
    }))
    print(f"{len(df)} districts, total {df.resident_pop_2024.sum():,}")
