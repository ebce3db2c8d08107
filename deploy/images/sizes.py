"""Each image's expected size from its installed packages: the files every distribution of its
lock (deploy/images/<role>.lock) installed into this machine's .venv (the same versions), plus
the project's own source. The base image (python:3.11-slim-bookworm, nginx:1.27-bookworm) comes
on top. Run: .venv/bin/python deploy/images/sizes.py"""

from __future__ import annotations

import re
from importlib.metadata import distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "auth": ["shared", "services/auth"],
    "stats": ["shared", "services/stats"],
    "ingest": ["shared", "services/ingest"],
    "analytics": ["shared", "services/analytics"],
    "migrate": ["shared", "services", "tools/devstack", "gateway"],
}
SKIPPED = ("tests", "recordings", "scripts", "__pycache__")


def installed_bytes(name: str) -> int:
    dist = distribution(name)
    return sum(f.size or 0 for f in dist.files or [])


def source_bytes(folder: str) -> int:
    files = (ROOT / folder).rglob("*")
    return sum(f.stat().st_size for f in files if f.is_file() and not set(f.parts) & set(SKIPPED))


def main() -> None:
    for role, folders in SOURCES.items():
        lock = (ROOT / "deploy" / "images" / f"{role}.lock").read_text()
        names = re.findall(r"^([a-z0-9][a-z0-9._-]*)==", lock, re.MULTILINE)
        packages = sum(installed_bytes(name) for name in names)
        own = sum(source_bytes(folder) for folder in folders)
        print(
            f"{role:<10} {len(names):>3} packages {packages / 2**20:7.1f} MiB"
            f"  + own code {own / 2**20:5.1f} MiB"
        )


if __name__ == "__main__":
    main()
