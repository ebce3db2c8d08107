"""Write each service's OpenAPI document (app.openapi()) into a folder, for openapi-typescript."""

import importlib
import json
import sys
from pathlib import Path

SERVICES = ("auth", "stats", "ingest", "analytics")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        app = importlib.import_module(f"chiiki_{service}.main").app
        document = json.dumps(app.openapi(), ensure_ascii=False, indent=1, sort_keys=True)
        (out / f"{service}.json").write_text(document + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
