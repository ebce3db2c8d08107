"""cat01 codes and units for SSDSE indicator columns.

Official SSDS codes come from the code row of SSDSE-E and SSDSE-A, matched on identical
Japanese names. A column without one gets ``X`` + the first 6 hex digits of the SHA-256 of its
name: stable across file editions, and never an SSDS code (those start with A-M).
"""

import csv
import hashlib
import json
from pathlib import Path

E_FILE = "prefecture/ssdse_E_2023_prefecture_utf8.csv"
A_FILE = "municipality/ssdse_A_2023_municipality_utf8.csv"
SSDS_MUNICIPAL_FILE = "estat/getStatsData_v3.0_0000020202_ssds_municipal_limit10_nextkey.json"
FIRST_INDICATOR_COLUMN = {E_FILE: 2, A_FILE: 3}

# Base names (sex and other bracketed qualifiers removed) that count people, whose SSDS unit
# is 人. 延べ宿泊者数 is left out on purpose: SSDS counts guest nights (人泊), not people.
_PEOPLE_SUFFIXES = (
    "人口",
    "出生数",
    "死亡数",
    "転入者数",
    "転出者数",
    "教員数",
    "児童数",
    "生徒数",
    "学生数",
    "在園者数",
    "卒業者数",
    "進学者数",
    "在所児数",
    "保育士数",
    "求職者数",
    "就業者数",
    "失業者数",
    "従業者数",
    "職員数",
    "人員数",
    "医師数",
    "薬剤師数",
)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def official_codes(shared: Path) -> dict[str, str]:
    """Japanese indicator name -> SSDS code, from the SSDSE-E and SSDSE-A header rows."""
    codes: dict[str, str] = {}
    for relative, first in FIRST_INDICATOR_COLUMN.items():
        code_row, _year_row, name_row = read_rows(shared / relative)[:3]
        for code, name in zip(code_row[first:], name_row[first:], strict=True):
            if codes.setdefault(name, code) != code:
                raise ValueError(f"{name}: SSDSE-E and SSDSE-A disagree on its code")
    return codes


def derived_code(name: str) -> str:
    return "X" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:6].upper()


def ssds_units(shared: Path) -> dict[str, str]:
    """Units that a real SSDS e-Stat response states for its cat01 codes."""
    body = json.loads((shared / SSDS_MUNICIPAL_FILE).read_text(encoding="utf-8"))
    class_objs = body["GET_STATS_DATA"]["STATISTICAL_DATA"]["CLASS_INF"]["CLASS_OBJ"]
    cat01 = next(obj for obj in class_objs if obj["@id"] == "cat01")
    return {item["@code"]: item["@unit"] for item in cat01["CLASS"] if "@unit" in item}


def _strip_last_group(name: str) -> str:
    """Remove one trailing full-width bracket group, nested ones included."""
    depth = 0
    for index in range(len(name) - 1, -1, -1):
        depth += {"）": 1, "（": -1}.get(name[index], 0)
        if depth == 0:
            return name[:index]
    return name


def base_name(name: str) -> str:
    """The name without trailing qualifiers: 転入者数（日本人移動者）（男） -> 転入者数."""
    while name.endswith("）") and (stripped := _strip_last_group(name)) != name:
        name = stripped
    return name


def unit_for(name: str, code: str, known_units: dict[str, str]) -> str | None:
    """The unit where it is certain, else None (e-Stat then omits @unit)."""
    if code in known_units:
        return known_units[code]
    base = base_name(name)
    if base.startswith("延べ"):
        return None
    if base.endswith(_PEOPLE_SUFFIXES):
        return "人"
    if base.endswith("世帯数"):
        return "世帯"
    return None


def assign_codes(names: list[str], official: dict[str, str]) -> dict[str, str]:
    """Column name -> cat01 code, checking that no two columns share a code."""
    codes = {name: official.get(name) or derived_code(name) for name in names}
    if len(set(codes.values())) != len(codes):
        raise ValueError("two SSDSE columns map to the same cat01 code")
    return codes
