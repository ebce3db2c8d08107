"""What the replay answers to each e-Stat API request (authentication is checked before this).

Order for a request: a recording made for exactly this request is replayed as recorded; otherwise
the answer is generated from a table; what neither can answer truthfully is refused with HTTP 501
(`NotRecorded`) rather than invented; an id known nowhere gets e-Stat's unknown-id error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from chiiki_ingest.replay import catalog, messages, render
from chiiki_ingest.replay.encoding import dumps
from chiiki_ingest.replay.narrow import covered, wanted_codes
from chiiki_ingest.replay.query import (
    DataQuery,
    ParamError,
    Unsupported,
    check_common,
    parse_data_query,
    parse_list_query,
    required_id,
)
from chiiki_ingest.replay.recordings import Recording, current, normalise_request, table_infs
from chiiki_ingest.replay.store import TableStore
from chiiki_ingest.replay.tables import Table, as_list

JSON_TYPE = "application/json;charset=UTF-8"
CSV_TYPE = "text/csv;charset=UTF-8"
ROOTS = {
    "getStatsData": "GET_STATS_DATA",
    "getMetaInfo": "GET_META_INFO",
    "getStatsList": "GET_STATS_LIST",
    "getSimpleStatsData": "GET_STATS_DATA",
}


class NotRecorded(Exception):
    """A request the recordings cannot answer truthfully; the replay says so with HTTP 501."""


@dataclass
class Answer:
    chunks: Iterable[str]
    stream: bool = False
    status: int = 200
    media_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(body: str) -> Answer:
    return Answer([body])


class Answerer:
    def __init__(self, store: TableStore, recordings: list[Recording]) -> None:
        self._store = store
        self._exact = {(r.endpoint, r.request): r for r in current(recordings)}
        self._by_id: dict[str, list[Recording]] = {}
        for recording in current(recordings):
            if recording.stats_data_id:
                self._by_id.setdefault(recording.stats_data_id, []).append(recording)
        self._recorded_infs = table_infs(recordings)

    async def answer(self, endpoint: str, params: Mapping[str, str]) -> Answer:
        handler = {
            "getStatsData": self.stats_data,
            "getMetaInfo": self.meta_info,
            "getStatsList": self.stats_list,
            "getSimpleStatsData": self.simple_stats_data,
        }.get(endpoint)
        if handler is None:
            raise Unsupported(f"{endpoint} is not replayed")
        try:
            return await handler(params)
        except ParamError as error:
            body = render.error_body(
                ROOTS[endpoint], error.status, error.message, params.get("statsDataId")
            )
            return json_answer(body)

    def _recorded(self, endpoint: str, params: Mapping[str, str]) -> Recording | None:
        return self._exact.get((endpoint, normalise_request(params)))

    def known(self, stats_data_id: str) -> bool:
        return (
            stats_data_id in self._recorded_infs
            or stats_data_id in self._by_id
            or self._store.source(stats_data_id) is not None
        )

    async def stats_data(self, params: Mapping[str, str]) -> Answer:
        query = parse_data_query(params)
        recording = self._recorded("getStatsData", params)
        if recording is not None:
            return json_answer(dumps(recording.document))
        table = await self._store.get(query.stats_data_id)
        if table is not None:
            return self._from_table(table, query)
        return self._without_table(query)

    def _from_table(self, table: Table, query: DataQuery) -> Answer:
        wanted = wanted_codes(table, query)
        if not covered(table, wanted):
            raise NotRecorded(f"{table.stats_data_id} is recorded only for {table.narrowing}")
        rows = table.select(wanted)
        if query.count_only:
            return json_answer(render.count_body(table.table_inf, query, len(rows)))
        if query.start > len(rows):
            return json_answer(render.no_data_body(table.table_inf, query, len(rows)))
        return Answer(render.stats_data_chunks(table, query, wanted, rows), stream=True)

    def _without_table(self, query: DataQuery) -> Answer:
        page = next(
            (r for r in self._by_id.get(query.stats_data_id, []) if r.endpoint == "getStatsData"),
            None,
        )
        if page is not None and query.count_only and not query.filtered and not page.narrowing:
            inf = page.statistical_data["TABLE_INF"]
            return json_answer(render.count_body(inf, query, page.total_number or 0))
        if self.known(query.stats_data_id):
            raise NotRecorded(f"this request on {query.stats_data_id} was not recorded")
        return self._unknown("GET_STATS_DATA", query.stats_data_id)

    def _unknown(self, root: str, stats_data_id: str) -> Answer:
        message = messages.unknown_id_message(stats_data_id)
        return json_answer(render.error_body(root, messages.UNKNOWN_ID, message, stats_data_id))

    async def meta_info(self, params: Mapping[str, str]) -> Answer:
        check_common(params)
        stats_data_id = required_id(params)
        recording = self._recorded("getMetaInfo", params)
        if recording is not None:
            return json_answer(dumps(recording.document))
        sections = await self._meta_sections(stats_data_id)
        if sections is not None:
            inf, objs = sections
            return json_answer(render.meta_info_body(stats_data_id, inf, objs))
        if self.known(stats_data_id):
            raise NotRecorded(f"no unnarrowed metadata recorded for {stats_data_id}")
        return self._unknown("GET_META_INFO", stats_data_id)

    async def _meta_sections(
        self, stats_data_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        source = self._store.source(stats_data_id)
        if source is not None and source.is_full:
            inf = await anyio.to_thread.run_sync(self._store.section, stats_data_id, "TABLE_INF")
            objs = await anyio.to_thread.run_sync(self._store.section, stats_data_id, "CLASS_INF")
            if inf is not None and objs is not None:
                return inf, as_list(objs.get("CLASS_OBJ"))
        for recording in self._by_id.get(stats_data_id, []):
            data = recording.statistical_data
            if recording.has_metadata and not recording.narrowing:
                return data["TABLE_INF"], as_list(data["CLASS_INF"].get("CLASS_OBJ"))
        return None

    async def stats_list(self, params: Mapping[str, str]) -> Answer:
        query = parse_list_query(params)
        recording = self._recorded("getStatsList", params)
        if recording is not None:
            return json_answer(dumps(recording.document))
        infs = await anyio.to_thread.run_sync(self._all_infs)
        found = [infs[key] for key in sorted(infs) if catalog.matches(infs[key], query)]
        return json_answer(render.stats_list_body(query, found))

    def _all_infs(self) -> dict[str, dict[str, Any]]:
        infs = dict(self._recorded_infs)
        for stats_data_id in self._store.full_table_ids():
            inf = self._store.section(stats_data_id, "TABLE_INF")
            if inf is not None:
                infs[stats_data_id] = inf
        return infs

    async def simple_stats_data(self, params: Mapping[str, str]) -> Answer:
        query = parse_data_query(params)
        flag = params.get("sectionHeaderFlg", "1")
        if flag not in ("1", "2"):
            raise ParamError(
                messages.BAD_PARAMETER, messages.bad_parameter_message("sectionHeaderFlg")
            )
        if flag == "1" or query.count_only:
            raise Unsupported("only sectionHeaderFlg=2 CSV (no section headers) is replayed")
        table = await self._store.get(query.stats_data_id)
        if table is None:
            return self._without_table(query)
        wanted = wanted_codes(table, query)
        if not covered(table, wanted):
            raise NotRecorded(f"{table.stats_data_id} is recorded only for {table.narrowing}")
        rows = table.select(wanted)
        if query.start > len(rows):
            return json_answer(render.no_data_body(table.table_inf, query, len(rows)))
        return Answer(render.csv_chunks(table, query, rows), stream=True, media_type=CSV_TYPE)
