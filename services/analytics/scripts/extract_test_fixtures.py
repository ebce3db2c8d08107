"""Write the real series the analytics unit tests use to tests/fixtures/real_series.json.

    .venv/bin/python services/analytics/scripts/extract_test_fixtures.py

Values are copied unchanged from the recorded tables in services/ingest/recordings/tables (see
the PROVENANCE.md there and tests/fixtures/PROVENANCE.md here).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from recorded_tables import load_table

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real_series.json"

# SSDSE-B-2023 indicators (cat01 codes) the tests use: population and its age groups, vital
# events, migration in and out, women aged 15-64, a rate and a weather series with no trend.
SSDSE_B_CODES = (
    "A1101",
    "A1301",
    "A1302",
    "A130202",
    "A1303",
    "A4101",
    "A4103",
    "A4200",
    "A5101",
    "A5102",
    "X6BD5E3",
)
CENSUS_CODES = ("0",)


def _series(table: str, codes: tuple[str, ...]) -> dict[str, dict]:
    recorded = load_table(table)
    return {
        code: {
            "name": recorded[code].name,
            "values": {
                area: {str(year): value for year, value in sorted(by_year.items())}
                for area, by_year in sorted(recorded[code].values.items())
            },
        }
        for code in codes
    }


def main() -> None:
    fixture = {
        "ssdse-b-2023": _series("ssdse-b-2023", SSDSE_B_CODES),
        "census-c01-1920-2015": _series("census-c01-1920-2015", CENSUS_CODES),
    }
    OUT.write_text(json.dumps(fixture, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
