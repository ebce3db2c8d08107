"""The replay server: e-Stat's API paths plus a control API under /_replay for tests.

API answers are HTTP 200 with e-Stat's body even for API-level errors, as e-Stat does; a bad appId
gets STATUS 100, or the firewall's HTTP 403 XML answer when `auth_failure` is `http403`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from chiiki_ingest.replay import render
from chiiki_ingest.replay.answers import ROOTS, Answer, Answerer, NotRecorded
from chiiki_ingest.replay.faults import Fault, FaultBook, RequestLog
from chiiki_ingest.replay.query import Unsupported
from chiiki_ingest.replay.recordings import load_recordings
from chiiki_ingest.replay.store import TableStore

logger = logging.getLogger("chiiki_ingest.replay")
AUTH_MODES = ("json", "http403")


@dataclass
class ReplayConfig:
    recordings_dir: Path
    app_id: str
    auth_failure: str = "json"
    max_cells: int = 500_000


@dataclass
class Concurrency:
    """API requests being answered now, and the most there were at once since the last reset."""

    in_flight: int = 0
    peak: int = 0


@dataclass
class ReplayState:
    config: ReplayConfig
    answerer: Answerer
    faults: FaultBook
    log: RequestLog
    concurrency: Concurrency = field(default_factory=Concurrency)


class CountInFlight:
    """Counts each API request from its arrival until its last body byte is sent."""

    def __init__(self, app: ASGIApp, concurrency: Concurrency) -> None:
        self.app, self.concurrency = app, concurrency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        counter = self.concurrency
        counter.in_flight += 1
        counter.peak = max(counter.peak, counter.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            counter.in_flight -= 1


class BodyResponse:
    """Sends an answer's text chunks; faults may cut the body short or drop the connection."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.status_code = answer.status
        self.cut_at: int | None = None
        self.drop_connection = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", self.answer.media_type.encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.answer.headers.items()]
        if self.answer.stream:
            chunks = _threaded(iter(self.answer.chunks))
        else:
            body = "".join(self.answer.chunks).encode()
            length = len(body)
            if self.cut_at is not None and not self.drop_connection:
                length = min(self.cut_at, length)
            headers.append((b"content-length", str(length).encode()))
            chunks = _single(body)
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        sent = 0
        async for chunk in chunks:
            if self.cut_at is not None and sent + len(chunk) >= self.cut_at:
                await send(
                    {
                        "type": "http.response.body",
                        "body": chunk[: self.cut_at - sent],
                        "more_body": True,
                    }
                )
                if self.drop_connection:
                    return  # uvicorn closes a connection whose response was left incomplete
                break
            sent += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _single(body: bytes) -> Any:
    yield body


async def _threaded(chunks: Iterator[str]) -> Any:
    """Each chunk rendered in a worker thread, so a 100,000-row page never blocks the loop."""
    while True:
        chunk = await anyio.to_thread.run_sync(next, chunks, None)
        if chunk is None:
            return
        yield chunk.encode()


def _replay_error(status: int, kind: str, detail: str) -> Response:
    return JSONResponse(
        {"replay_error": kind, "detail": detail},
        status_code=status,
        headers={"X-Replay-Error": kind},
    )


async def api(request: Request) -> Any:
    endpoint = request.path_params.get("endpoint", "getSimpleStatsData")
    state: ReplayState = request.app.state.replay
    params = dict(request.query_params)
    app_id_state = _app_id_state(params.get("appId"), state.config.app_id)
    entry = state.log.record(endpoint, params, app_id_state)
    fault = state.faults.take(endpoint, params)
    entry["fault"] = fault.kind if fault else None
    response = await _respond(request, state, endpoint, params, app_id_state, fault)
    entry["http_status"] = response.status_code
    logger.info("replay %s %s -> %s", endpoint, entry["params"], response.status_code)
    return response


async def _respond(
    request: Request,
    state: ReplayState,
    endpoint: str,
    params: dict[str, str],
    app_id_state: str,
    fault: Fault | None,
) -> Any:
    if fault is not None and fault.kind == "status":
        return _fault_status(fault)
    waiting = fault is not None and fault.kind in ("latency", "timeout")
    if fault is not None and waiting and not await _wait_unless_gone(request, fault.seconds):
        return Response(status_code=499)
    response = await _answer(state, endpoint, params, app_id_state)
    if (
        fault is not None
        and fault.kind in ("truncate", "reset")
        and isinstance(response, BodyResponse)
    ):
        response.cut_at = fault.bytes
        response.drop_connection = fault.kind == "reset"
    return response


async def _answer(
    state: ReplayState, endpoint: str, params: dict[str, str], app_id_state: str
) -> Any:
    root = ROOTS.get(endpoint, "GET_STATS_DATA")
    if app_id_state != "valid":
        return _auth_failure(state.config.auth_failure, root)
    try:
        return BodyResponse(await state.answerer.answer(endpoint, params))
    except Unsupported as error:
        return _replay_error(501, "unsupported", str(error))
    except NotRecorded as error:
        return _replay_error(501, "not-recorded", str(error))


def _auth_failure(mode: str, root: str) -> BodyResponse:
    if mode == "http403":
        xml = Answer(
            [render.auth_failure_xml(root)], status=403, media_type="application/xml;charset=UTF-8"
        )
        return BodyResponse(xml)
    return BodyResponse(Answer([render.auth_failure_json(root)]))


def _app_id_state(given: str | None, valid: str) -> str:
    if not given:
        return "missing"
    return "valid" if given == valid else "invalid"


def _fault_status(fault: Fault) -> Response:
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    return Response(
        f"replay fault: HTTP {fault.status}\n",
        status_code=fault.status,
        headers=headers,
        media_type="text/plain",
    )


async def _wait_unless_gone(request: Request, seconds: float) -> bool:
    """Sleep, but stop early (returning False) once the client has hung up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
        await asyncio.sleep(min(remaining, 0.05))
        if await request.is_disconnected():
            return False
    return True


async def faults_endpoint(request: Request) -> Response:
    state: ReplayState = request.app.state.replay
    if request.method == "DELETE":
        state.faults.clear()
    elif request.method == "POST":
        payload = await request.json()
        try:
            added = [Fault.from_json(item) for item in _as_items(payload)]
        except (ValueError, TypeError, AttributeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        for fault in added:
            state.faults.add(fault)
    return JSONResponse({"faults": state.faults.describe()})


def _as_items(payload: Any) -> Iterable[Any]:
    return payload if isinstance(payload, list) else [payload]


async def requests_endpoint(request: Request) -> Response:
    state: ReplayState = request.app.state.replay
    if request.method == "DELETE":
        state.log.clear()
    return JSONResponse({"requests": state.log.entries()})


async def config_endpoint(request: Request) -> Response:
    state: ReplayState = request.app.state.replay
    if request.method == "PUT":
        mode = (await request.json()).get("auth_failure")
        if mode not in AUTH_MODES:
            return JSONResponse(
                {"error": f"auth_failure must be one of {AUTH_MODES}"}, status_code=400
            )
        state.config.auth_failure = mode
    return JSONResponse({"auth_failure": state.config.auth_failure})


async def concurrency_endpoint(request: Request) -> Response:
    counter = request.app.state.replay.concurrency
    if request.method == "DELETE":
        counter.peak = counter.in_flight
    return JSONResponse({"in_flight": counter.in_flight, "peak": counter.peak})


async def health_endpoint(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(config: ReplayConfig) -> Starlette:
    recordings = load_recordings(config.recordings_dir / "raw")
    store = TableStore(config.recordings_dir / "tables", recordings, max_cells=config.max_cells)
    app = Starlette(
        routes=[
            Route("/rest/3.0/app/json/{endpoint}", api),
            Route("/rest/3.0/app/getSimpleStatsData", api),
            Route("/_replay/health", health_endpoint),
            Route("/_replay/faults", faults_endpoint, methods=["GET", "POST", "DELETE"]),
            Route("/_replay/requests", requests_endpoint, methods=["GET", "DELETE"]),
            Route("/_replay/config", config_endpoint, methods=["GET", "PUT"]),
            Route("/_replay/concurrency", concurrency_endpoint, methods=["GET", "DELETE"]),
        ]
    )
    state = ReplayState(config, Answerer(store, recordings), FaultBook(), RequestLog())
    app.state.replay = state
    app.add_middleware(CountInFlight, concurrency=state.concurrency)
    return app
