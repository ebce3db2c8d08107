"""The getStatsData v3.0 response shape: CLASS_INF, DATA_INF and the envelope around them."""

from dataclasses import dataclass, field
from typing import Any

OK_MESSAGE = "正常に終了しました。"
# Response time of a built table: fixed (the Unix epoch in JST) so rebuilding gives equal bytes.
BUILT_DATE = "1970-01-01T09:00:00.000+09:00"


@dataclass(frozen=True)
class ClassItem:
    code: str
    name: str
    level: str = "1"
    unit: str | None = None
    parent_code: str | None = None

    def to_json(self) -> dict[str, str]:
        item = {"@code": self.code, "@name": self.name, "@level": self.level}
        if self.unit is not None:
            item["@unit"] = self.unit
        if self.parent_code is not None:
            item["@parentCode"] = self.parent_code
        return item


@dataclass(frozen=True)
class ClassObj:
    id: str
    name: str
    items: list[ClassItem]
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"@id": self.id, "@name": self.name}
        if self.description is not None:
            obj["@description"] = self.description
        obj["CLASS"] = one_or_many([item.to_json() for item in self.items])
        return obj


@dataclass(frozen=True)
class Table:
    """A whole statistical table: metadata, classifications, cells and special marks."""

    stats_data_id: str
    table_inf: dict[str, Any]
    class_objs: list[ClassObj]
    values: list[dict[str, str]]
    notes: dict[str, str] = field(default_factory=dict)


def one_or_many(items: list[Any]) -> Any:
    """e-Stat sends a lone item as an object and several as an array."""
    return items[0] if len(items) == 1 else items


def value_cell(keys: dict[str, str], unit: str | None, value: str) -> dict[str, str]:
    """One VALUE entry; keys must already be in e-Stat order (tab, cat01…, area, time)."""
    cell = {f"@{name}": code for name, code in keys.items()}
    if unit is not None:
        cell["@unit"] = unit
    cell["$"] = value
    return cell


def response_body(table: Table) -> dict[str, Any]:
    """The full, unpaged getStatsData body for ``table``."""
    total = len(table.values)
    data_inf: dict[str, Any] = {}
    if table.notes:
        notes = [{"@char": char, "$": text} for char, text in table.notes.items()]
        data_inf["NOTE"] = one_or_many(notes)
    data_inf["VALUE"] = one_or_many(table.values)
    return {
        "GET_STATS_DATA": {
            "RESULT": {"STATUS": 0, "ERROR_MSG": OK_MESSAGE, "DATE": BUILT_DATE},
            "PARAMETER": {
                "LANG": "J",
                "STATS_DATA_ID": table.stats_data_id,
                "DATA_FORMAT": "J",
                "START_POSITION": 1,
                "METAGET_FLG": "Y",
            },
            "STATISTICAL_DATA": {
                "RESULT_INF": {"TOTAL_NUMBER": total, "FROM_NUMBER": 1, "TO_NUMBER": total},
                "TABLE_INF": {"@id": table.stats_data_id, **table.table_inf},
                "CLASS_INF": {"CLASS_OBJ": [obj.to_json() for obj in table.class_objs]},
                "DATA_INF": data_inf,
            },
        }
    }
