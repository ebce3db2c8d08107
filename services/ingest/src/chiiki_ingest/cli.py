"""``chiiki-ingest`` (or ``python -m chiiki_ingest``): the ingest admin API from a terminal.

It is a client of the same HTTP API as everyone else (through the gateway or the ingest
service itself), authenticated as a service account: a client-credentials token from the auth
service (``POST /api/auth/token``, HTTP Basic, scope ``ingest:read ingest:write``), asked for
once per command. The client secret is read from the environment only, never from the command
line (which other users of the machine can see).

Exit codes: 0 done; 1 the API refused (its problem ``detail`` is printed), it could not be
reached, or a watched run did not succeed; 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

import httpx
import yaml

ENV_URL = "CHIIKI_INGEST_URL"
ENV_AUTH_URL = "CHIIKI_AUTH_URL"
ENV_CLIENT_ID = "CHIIKI_INGEST_CLIENT_ID"
ENV_CLIENT_SECRET = "CHIIKI_INGEST_CLIENT_SECRET"  # noqa: S105 - a variable's name
DEFAULT_URL = "http://127.0.0.1:8080"  # the gateway of `make up`
TOKEN_PATH = "/api/auth/token"  # noqa: S105 - a path
SCOPE = "ingest:read ingest:write"
PREFIX = "/api/ingest"
FINAL = frozenset({"succeeded", "failed", "blocked", "cancelled"})
BAR_WIDTH = 30


class CliError(Exception):
    """What to print before exiting with 1."""


class IngestApi:
    """The admin API over HTTP with a service client's token."""

    def __init__(
        self, url: str, auth_url: str, client_id: str, client_secret: str, timeout: float
    ) -> None:
        self.url, self.auth_url = url.rstrip("/"), auth_url.rstrip("/")
        self._client_id, self._client_secret = client_id, client_secret
        self._http = httpx.Client(timeout=timeout)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def _authorization(self) -> str:
        if self._token is None:
            # RFC 6749 §2.3.1: id and secret are form-encoded before they go into Basic.
            auth = httpx.BasicAuth(quote_plus(self._client_id), quote_plus(self._client_secret))
            response = self._send(
                "POST",
                self.auth_url + TOKEN_PATH,
                data={"grant_type": "client_credentials", "scope": SCOPE},
                auth=auth,
            )
            if response.status_code != 200:
                raise CliError(f"no token from {self.auth_url}: {problem_text(response)}")
            self._token = str(response.json()["access_token"])
        return f"Bearer {self._token}"

    def call(self, method: str, path: str, **options: Any) -> Any:
        """The answer's JSON (None for 204); ``CliError`` with the problem's detail otherwise."""
        headers = {"Authorization": self._authorization()}
        response = self._send(method, self.url + PREFIX + path, headers=headers, **options)
        if response.status_code >= 400:
            raise CliError(problem_text(response))
        return None if response.status_code == 204 else response.json()

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **options)
        except httpx.HTTPError as error:
            raise CliError(f"cannot reach {url}: {type(error).__name__}: {error}") from None

    def pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a cursor-paged list."""
        items: list[dict[str, Any]] = []
        page = self.call("GET", path, params=params)
        while True:
            items.extend(page["items"])
            if not page.get("next"):
                return items
            # ``next`` is the path of the following page (it keeps the filters).
            page = self.call("GET", str(page["next"]).removeprefix(PREFIX))


def problem_text(response: httpx.Response) -> str:
    """The problem document's ``detail``, with its field errors, or the bare status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("detail"):
        return f"HTTP {response.status_code}"
    lines = [f"{body['detail']} ({response.status_code} {body.get('code', '')})".rstrip()]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            lines.append(f"  {error.get('field')}: {error.get('message')}")
    return "\n".join(lines)


# -- the commands -------------------------------------------------------------------------------


def catalog_list(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    for entry in api.pages("/catalog", {"limit": 500}):
        current = entry["current"]
        version = f"v{current['version']}" if current["version"] else "-"
        cells = current["cell_count"] if current["cell_count"] is not None else "-"
        state = "enabled" if entry["enabled"] else "disabled"
        print(
            f"{entry['stats_data_id']}\t{state}\t{entry['schedule']}\t{version}\t{cells}", file=out
        )
    return 0


def catalog_show(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    _print_json(api.call("GET", f"/catalog/{_segment(args.stats_data_id)}"), out)
    return 0


def catalog_add(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    try:
        entry = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CliError(f"cannot read {args.file}: {error}") from None
    _print_json(api.call("POST", "/catalog", json=entry), out)
    return 0


def run(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    body = {
        "stats_data_id": args.stats_data_id,
        "filters": _filters(args.filter),
        "allow_shrink": args.allow_shrink,
        "dry_run": args.dry_run,
    }
    accepted = api.call("POST", "/runs", json=body)
    print(accepted["id"], file=out)
    return watch_run(api, accepted["id"], args.interval, out) if args.watch else 0


def runs(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    params: dict[str, Any] = {"limit": args.limit}
    if args.status:
        params["status"] = args.status
    if args.stats_data_id:
        params["stats_data_id"] = args.stats_data_id
    for item in api.call("GET", "/runs", params=params)["items"]:
        error = (item.get("error") or {}).get("code") or ""
        fields = (item["id"], item["stats_data_id"], item["status"], item["trigger"])
        print("\t".join((*fields, item["queued_at"], error)).rstrip(), file=out)
    return 0


def watch(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    return watch_run(api, args.run_id, args.interval, out)


def watch_run(api: IngestApi, run_id: str, interval: float, out: TextIO) -> int:
    """Progress over pages and cells until the run ends; 0 when it succeeded."""
    shown = ""
    while True:
        detail = api.call("GET", f"/runs/{_segment(run_id)}")
        line = progress_line(detail)
        if line != shown:
            end = "\r" if out.isatty() and detail["status"] not in FINAL else "\n"
            print(line, end=end, file=out, flush=True)
            shown = line
        if detail["status"] in FINAL:
            break
        time.sleep(interval)
    if detail["status"] == "succeeded":
        print(f"{detail['status']} ({detail['outcome']})", file=out)
        return 0
    error = detail.get("error") or {}
    raise CliError(f"run {run_id} {detail['status']}: {error.get('code')}: {error.get('message')}")


def progress_line(detail: dict[str, Any]) -> str:
    """``[#####.....]  50%  pages 1  cells 1440/2880  running/fetching``."""
    progress = detail["progress"]
    cells, total = progress["cells_fetched"], progress["cells_total"]
    share = min(cells / total, 1.0) if total else (1.0 if detail["status"] in FINAL else 0.0)
    filled = round(share * BAR_WIDTH)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    running = detail["status"] not in FINAL
    phase = (
        f"{detail['status']}/{detail['phase']}" if detail["phase"] and running else detail["status"]
    )
    cells_text = f"{cells}/{total}" if total is not None else str(cells)
    line = f"[{bar}] {share:4.0%}  pages {progress['pages_fetched']}  cells {cells_text}  {phase}"
    if progress.get("last_error") and running:
        line += f"  (retrying: {progress['last_error']})"
    return line


def cancel(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    answer = api.call("POST", f"/runs/{_segment(args.run_id)}/cancel")
    print(f"{answer['id']}\t{answer['status']}", file=out)
    return 0


def retry(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    accepted = api.call("POST", f"/runs/{_segment(args.run_id)}/retry")
    print(accepted["id"], file=out)
    return watch_run(api, accepted["id"], args.interval, out) if args.watch else 0


def rollback(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    path = f"/catalog/{_segment(args.stats_data_id)}/rollback"
    accepted = api.call("POST", path, json={"version": args.version})
    print(accepted["id"], file=out)
    return watch_run(api, accepted["id"], args.interval, out) if args.watch else 0


def schedule(api: IngestApi, args: argparse.Namespace, out: TextIO) -> int:
    if args.tick_now:
        tick = api.call("POST", "/schedule/run-now")
        for run in tick["started"]:
            print(f"{run['id']}\t{run['stats_data_id']}\tqueued", file=out)
        for busy in tick["busy"]:
            print(f"{busy['active_run_id']}\t{busy['stats_data_id']}\tbusy", file=out)
        return 0
    if args.run_now:
        accepted = api.call("POST", f"/schedule/{_segment(args.run_now)}/run")
        print(accepted["id"], file=out)
        return 0
    for item in api.pages("/schedule", {"limit": 200}):
        last = item.get("last_tick") or {}
        outcome = f"{last['outcome']}@{last['due_at']}" if last else "-"
        fields = (item["stats_data_id"], item["cron"], item["next_tick_at"] or "-", outcome)
        print("\t".join(fields), file=out)
    return 0


def _filters(pairs: Sequence[str]) -> dict[str, str]:
    filters = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--filter wants NAME=VALUE (e.g. cdArea=13000), not {pair!r}")
        filters[name] = value
    return filters


def _segment(value: str) -> str:
    return quote(value, safe="")


def _print_json(value: Any, out: TextIO) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2), file=out)


# -- arguments ----------------------------------------------------------------------------------

Command = Callable[[IngestApi, argparse.Namespace, TextIO], int]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="chiiki-ingest",
        description="The ingest admin API, as a service client. The client secret is read "
        f"from ${ENV_CLIENT_SECRET} only.",
    )
    root.add_argument(
        "--url",
        default=os.environ.get(ENV_URL, DEFAULT_URL),
        help=f"the gateway or the ingest service (${ENV_URL}, default {DEFAULT_URL})",
    )
    root.add_argument(
        "--auth-url",
        default=os.environ.get(ENV_AUTH_URL),
        help=f"where /api/auth/token is (${ENV_AUTH_URL}; default: --url)",
    )
    root.add_argument(
        "--client-id",
        default=os.environ.get(ENV_CLIENT_ID),
        help=f"the service client's id (${ENV_CLIENT_ID})",
    )
    root.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    commands = root.add_subparsers(dest="command", required=True)

    catalog = commands.add_parser("catalog", help="the catalog of tables").add_subparsers(
        dest="catalog_command", required=True
    )
    catalog.add_parser("list", help="every entry").set_defaults(handler=catalog_list)
    show = catalog.add_parser("show", help="one entry, as JSON")
    show.add_argument("stats_data_id")
    show.set_defaults(handler=catalog_show)
    add = catalog.add_parser("add", help="add an entry from a JSON or YAML file")
    add.add_argument("file", help="the entry: the fields of catalog.yaml's tables")
    add.set_defaults(handler=catalog_add)

    start = commands.add_parser("run", help="queue a run of a table")
    start.add_argument("stats_data_id")
    start.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an e-Stat narrowing parameter (repeatable)",
    )
    start.add_argument("--dry-run", action="store_true", help="fetch and check, publish nothing")
    start.add_argument("--allow-shrink", action="store_true", help="publish even if it shrinks")
    _watch_options(start)
    start.set_defaults(handler=run)

    listing = commands.add_parser("runs", help="recent runs, newest first")
    listing.add_argument(
        "--status",
        action="append",
        default=[],
        choices=["queued", "running", "succeeded", "failed", "blocked", "cancelled"],
    )
    listing.add_argument("--stats-data-id")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=runs)

    follow = commands.add_parser("watch", help="follow a run's progress until it ends")
    follow.add_argument("run_id")
    follow.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    follow.set_defaults(handler=watch)

    stop = commands.add_parser("cancel", help="cancel a queued or running run")
    stop.add_argument("run_id")
    stop.set_defaults(handler=cancel)

    again = commands.add_parser("retry", help="retry a failed, blocked or cancelled run")
    again.add_argument("run_id")
    _watch_options(again)
    again.set_defaults(handler=retry)

    back = commands.add_parser("rollback", help="serve a kept version of a table again")
    back.add_argument("stats_data_id")
    back.add_argument("--version", type=int, required=True)
    _watch_options(back)
    back.set_defaults(handler=rollback)

    ticks = commands.add_parser("schedule", help="the scheduled tables and their last tick")
    now = ticks.add_mutually_exclusive_group()
    now.add_argument("--run-now", metavar="STATS_DATA_ID", help="run this table now")
    now.add_argument("--tick-now", action="store_true", help="run every scheduled table now")
    ticks.set_defaults(handler=schedule)
    return root


def _watch_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--watch", action="store_true", help="then follow it until it ends")
    command.add_argument("--interval", type=float, default=1.0, help="seconds between polls")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = parser().parse_args(argv)
    secret = os.environ.get(ENV_CLIENT_SECRET)
    if not args.client_id or not secret:
        print(
            f"error: set {ENV_CLIENT_ID} (or --client-id) and {ENV_CLIENT_SECRET}", file=sys.stderr
        )
        return 2
    api = IngestApi(args.url, args.auth_url or args.url, args.client_id, secret, args.timeout)
    handler: Command = args.handler
    try:
        return handler(api, args, out)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        api.close()
