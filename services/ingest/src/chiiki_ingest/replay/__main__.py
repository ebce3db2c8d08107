"""`python -m chiiki_ingest.replay --host 127.0.0.1 --port 9100 --recordings DIR`."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from chiiki_ingest.replay.app import AUTH_MODES, ReplayConfig, create_app

DEFAULT_RECORDINGS = Path(__file__).resolve().parents[3] / "recordings"
DEFAULT_APP_ID = "replay-app-id"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chiiki_ingest.replay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument(
        "--recordings",
        type=Path,
        default=DEFAULT_RECORDINGS,
        help="folder holding tables/ (table files) and raw/ (recorded answers)",
    )
    parser.add_argument(
        "--app-id",
        default=os.environ.get("ESTAT_REPLAY_APP_ID", DEFAULT_APP_ID),
        help="the one appId accepted (default: $ESTAT_REPLAY_APP_ID or replay-app-id)",
    )
    parser.add_argument("--auth-failure", choices=AUTH_MODES, default="json")
    parser.add_argument("--max-cells", type=int, default=500_000, help="cells kept in memory")
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    config = ReplayConfig(
        recordings_dir=args.recordings,
        app_id=args.app_id,
        auth_failure=args.auth_failure,
        max_cells=args.max_cells,
    )
    # uvicorn's access log would print query strings, appId included; the app logs its own line.
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        access_log=False,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
