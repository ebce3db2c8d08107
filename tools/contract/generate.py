"""The frontend's TypeScript API types, generated from each service's OpenAPI document.

The documents come from the app objects (``chiiki_<service>.main.create_app()``), so no server
runs; openapi-typescript (pinned in frontend/package-lock.json, installed with
``npm ci --prefix frontend``) turns each into ``frontend/src/api/generated/<service>.ts``.

    python tools/contract/generate.py            # write the checked-in files (make client)
    python tools/contract/generate.py --out DIR  # write elsewhere (the test compares)
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "stats", "ingest", "analytics")
GENERATED = ROOT / "frontend" / "src" / "api" / "generated"
GENERATOR = ROOT / "frontend" / "node_modules" / ".bin" / "openapi-typescript"


def openapi_document(service: str) -> dict[str, Any]:
    main = importlib.import_module(f"chiiki_{service}.main")
    return main.create_app().openapi()


def typescript(document: dict[str, Any]) -> str:
    if not GENERATOR.exists():
        raise SystemExit(f"{GENERATOR} is missing: run npm ci --prefix frontend")
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "openapi.json", Path(work) / "client.ts"
        source.write_text(json.dumps(document, ensure_ascii=False, sort_keys=True))
        subprocess.run(  # noqa: S603 - the pinned generator on our own files
            [str(GENERATOR), str(source), "--output", str(target)],
            check=True,
            capture_output=True,
        )
        return with_json_value_alias(target.read_text())


# pydantic's JSON value schema refers to itself at its top level, which TypeScript refuses as a
# circular indexed access (TS2502); a recursive type alias says the same thing and compiles.
_JSON_VALUE_MEMBER = re.compile(
    r'^(\s+)("?JsonValue(?:-Input|-Output)?"?): string \| number \| boolean \| '
    r'components\["schemas"\]\["JsonValue(?:-Input|-Output)?"\]\[\] \| \{\s*'
    r'\[key: string\]: components\["schemas"\]\["JsonValue(?:-Input|-Output)?"\];\s*\} \| null;',
    re.MULTILINE,
)
_JSON_VALUE_ALIAS = (
    "export type JsonValue = string | number | boolean | null | JsonValue[] | "
    "{ [key: string]: JsonValue };\n"
)


def with_json_value_alias(source: str) -> str:
    replaced, count = _JSON_VALUE_MEMBER.subn(r"\1\2: JsonValue;", source)
    return _JSON_VALUE_ALIAS + replaced if count else source


def generate(out: Path, services: tuple[str, ...] = SERVICES) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for service in services:
        path = out / f"{service}.ts"
        path.write_text(typescript(openapi_document(service)))
        written[service] = path
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GENERATED)
    parser.add_argument("services", nargs="*", help=f"some of {', '.join(SERVICES)} (default all)")
    args = parser.parse_args(argv)
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    for service, path in generate(args.out, tuple(args.services or SERVICES)).items():
        print(f"{service}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
