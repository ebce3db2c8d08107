"""The population pyramid: population by sex and five-year age group, one frame per census year.

Read cell by cell from the census table built from e-Stat 0003410380 (the nation only). Shares
are of the frame's whole population of known age (both sexes, every group), the table's own
total: the census counts people of unknown age in no age group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.errors import NotFound
from chiiki_stats import repository
from chiiki_stats.catalog import RegionInfo
from chiiki_stats.formats import ChartData, Dataset, Result, Table, Unit
from chiiki_stats.periods import Period, YearSpan
from chiiki_stats.values import number

DATASET = "census-0003410380"
SEX_DIMENSION, AGE_DIMENSION = "cat01", "cat02"
MALE, FEMALE = "1", "2"
SEX_KEYS = {MALE: "male", FEMALE: "female"}
SEX_EN = {MALE: "Male", FEMALE: "Female"}
MEASURES = ("count", "share")
PERSONS = Unit("人", "persons")
SHARE = Unit("%", "%")
COLUMNS = [
    "year",
    "period",
    "time",
    "sex",
    "sex_name",
    "age_code",
    "age",
    "age_from",
    "age_to",
    "value",
    "mark",
    "share",
    "sources",
]


@dataclass(frozen=True)
class AgeGroup:
    code: str
    name: str
    age_from: int
    age_to: int | None  # None: open-ended (everyone from age_from up)

    def label(self, lang: str) -> str:
        if lang != "en":
            return self.name
        return f"{self.age_from}+" if self.age_to is None else f"{self.age_from}-{self.age_to}"


@dataclass(frozen=True)
class Count:
    value: float | None
    mark: str | None


@dataclass(frozen=True)
class Frame:
    """One census year: every age group present that year, the last one open-ended."""

    period: Period
    time_code: str
    groups: list[AgeGroup]
    counts: dict[tuple[str, str], Count]  # (sex code, age code) -> count

    @property
    def total(self) -> float:
        return sum(c.value for c in self.counts.values() if c.value is not None)

    def share(self, count: Count) -> float | None:
        total = self.total
        return None if count.value is None or not total else count.value / total * 100


def age_from(name: str) -> int:
    """0~4歳 -> 0, 100歳以上 -> 100 (e-Stat's labels of 0003410380)."""
    return int(name.split("~")[0].removesuffix("歳以上").removesuffix("歳"))


def age_to(name: str) -> int | None:
    if "~" not in name:
        return None
    return int(name.split("~")[1].removesuffix("歳"))


def frames(rows: Sequence[Any], sexes: Mapping[str, str], ages: Mapping[str, str]) -> list[Frame]:
    """Group pyramid rows (series key, period, time, value, mark) into one frame per year."""
    by_time: dict[str, dict[tuple[str, str], Count]] = {}
    periods: dict[str, Period] = {}
    for row in rows:
        sex, age = row.key[SEX_DIMENSION], row.key[AGE_DIMENSION]
        if sex not in sexes or age not in ages:
            continue
        periods[row.time_code] = Period.from_estat(row.time_code)
        value = None if row.value is None else float(row.value)
        by_time.setdefault(row.time_code, {})[(sex, age)] = Count(value, row.mark)
    result = []
    for time_code, counts in sorted(by_time.items(), key=lambda item: periods[item[0]].sort_key):
        present = sorted({age for _, age in counts}, key=lambda code: age_from(ages[code]))
        groups = [AgeGroup(c, ages[c], age_from(ages[c]), age_to(ages[c])) for c in present]
        # The last group holds everyone older: e.g. 「85~89歳」 up to 2000 (see PROVENANCE.md).
        groups[-1] = AgeGroup(groups[-1].code, groups[-1].name, groups[-1].age_from, None)
        result.append(Frame(periods[time_code], time_code, groups, counts))
    return result


async def load(
    session: AsyncSession, region: RegionInfo, span: YearSpan
) -> tuple[list[Frame], dict[str, str]]:
    """The frames of ``region`` in ``span`` and the sexes (code -> name); 404 if there are none."""
    items = await repository.dimension_items(session, DATASET)
    sexes = {item["code"]: item["name"] for item in items.get(SEX_DIMENSION, [])}
    ages = {item["code"]: item["name"] for item in items.get(AGE_DIMENSION, [])}
    rows = await repository.pyramid_rows(session, DATASET, region.code, span)
    found = frames([row for row in rows if row.period_kind in span.kinds], sexes, ages)
    if not found:
        raise NotFound(
            f"No population pyramid for region {region.code} in {span}: the census table "
            f"{DATASET} covers the nation (00000) in the census years 1920-2020",
            extra={"resource": "pyramid", "missing": [region.code]},
        )
    return found, {code: sexes[code] for code in SEX_KEYS if code in sexes}


@dataclass
class Pyramid(Result):
    region: RegionInfo
    sexes: dict[str, str]  # code -> published name (男性, 女性)
    frames: list[Frame]
    notes: Mapping[str, str]
    attribution: list[str]
    lang: str
    measure: str
    name = "population-pyramid"

    def _count(self, frame: Frame, count: Count | None) -> dict[str, Any]:
        if count is None:
            return {"value": None, "mark": None, "mark_meaning": None, "share": None}
        return {
            "value": number(count.value),
            "mark": count.mark,
            "mark_meaning": self.notes.get(count.mark) if count.mark else None,
            "share": number(frame.share(count)),
        }

    def _frame(self, frame: Frame) -> dict[str, Any]:
        return {
            "year": frame.period.year,
            "period": str(frame.period),
            "time": frame.time_code,
            "total": number(frame.total),
            "groups": [
                {
                    "code": group.code,
                    "label": group.name,
                    "age_from": group.age_from,
                    "age_to": group.age_to,
                    **{
                        key: self._count(frame, frame.counts.get((sex, group.code)))
                        for sex, key in SEX_KEYS.items()
                    },
                }
                for group in frame.groups
            ],
        }

    def json(self) -> dict[str, Any]:
        return {
            "region": self.region.summary(),
            "dataset": DATASET,
            "sexes": [{"code": c, "key": SEX_KEYS[c], "name": n} for c, n in self.sexes.items()],
            "years": [frame.period.year for frame in self.frames],
            "share_of": "the year's population of known age, both sexes (the frame's total)",
            "frames": [self._frame(frame) for frame in self.frames],
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        rows = []
        for frame in self.frames:
            for sex, sex_name in self.sexes.items():
                for group in frame.groups:
                    count = frame.counts.get((sex, group.code))
                    if count is None:
                        continue
                    rows.append(
                        [
                            frame.period.year,
                            str(frame.period),
                            frame.time_code,
                            SEX_KEYS[sex],
                            SEX_EN[sex] if self.lang == "en" else sex_name,
                            group.code,
                            group.label(self.lang),
                            group.age_from,
                            group.age_to,
                            number(count.value),
                            count.mark,
                            number(frame.share(count)),
                            DATASET,
                        ]
                    )
        return Table(COLUMNS, rows)

    def chartjs(self) -> ChartData:
        """One year as a horizontal bar chart: oldest group first, males negative."""
        (frame,) = self.frames
        groups = list(reversed(frame.groups))
        datasets = []
        for sex, sex_name in self.sexes.items():
            sign = -1 if sex == MALE else 1
            data = []
            for group in groups:
                count = frame.counts.get((sex, group.code))
                shown = None
                if count is not None and count.value is not None:
                    shown = count.value if self.measure == "count" else frame.share(count)
                data.append(None if shown is None else number(sign * shown))
            label = SEX_EN[sex] if self.lang == "en" else sex_name
            datasets.append(Dataset(label, data, PERSONS if self.measure == "count" else SHARE))
        return ChartData(datasets, self.lang, [group.label(self.lang) for group in groups])
