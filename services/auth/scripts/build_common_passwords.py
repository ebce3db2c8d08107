"""Rebuild the auth service's breached-password list from its published source.

Usage: .venv/bin/python services/auth/scripts/build_common_passwords.py [--wheel PATH] [--out PATH]

The source is NCSC's "PwnedPasswordsTop100k.txt" (the 100,000 most common passwords of Have I
Been Pwned), as redistributed in the camcops-server wheel on PyPI; see data/PROVENANCE.md. The
wheel is fetched with pip (the only way to it from here) unless --wheel names a local copy; both
the wheel and the list inside it are checked against the digests below before anything is
written. Output: the list's passwords in their order, casefolded, blank lines and repeats
dropped, one per line, gzip-compressed without a timestamp, so a rebuild is byte-identical.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "camcops-server==2.4.24"
WHEEL = "camcops_server-2.4.24-py3-none-any.whl"
WHEEL_SHA256 = "ca1561b39cda8c47310f3feab7fb09b44944178b21deab64d0de2e2952cbaab7"
MEMBER = "camcops_server/prohibited_passwords/PwnedPasswordsTop100k.txt"
MEMBER_SHA256 = "f68c289c93bbaefd6f6700c7ba3035077ffe4d402b571708ff595258f2d93e15"
# NCSC's file opens with a notice: lines starting "***", a blank line, "--", a blank line.
HEADER_END = "--"
EXPECTED_ENTRIES = 100_000
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "src" / "chiiki_auth" / "data" / "common-passwords.txt.gz"
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_wheel(folder: Path) -> Path:
    subprocess.run(  # noqa: S603 - a fixed pip command
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), PACKAGE],
        check=True,
    )
    return folder / WHEEL


def _entries(text: str) -> list[str]:
    lines = text.splitlines()
    entries = lines[lines.index(HEADER_END) + 2 :]
    if len(entries) != EXPECTED_ENTRIES:
        raise SystemExit(f"expected {EXPECTED_ENTRIES} passwords, found {len(entries)}")
    return entries


def build(wheel: Path) -> bytes:
    data = wheel.read_bytes()
    if _sha256(data) != WHEEL_SHA256:
        raise SystemExit(f"{wheel} is not the wheel this list was built from (sha256 differs)")
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(MEMBER)
    if _sha256(raw) != MEMBER_SHA256:
        raise SystemExit(f"{MEMBER} differs from the recorded list (sha256 differs)")
    seen: dict[str, None] = {}
    for entry in _entries(raw.decode("utf-8")):
        if entry.strip():
            seen.setdefault(entry.casefold(), None)
    text = "".join(f"{password}\n" for password in seen).encode("utf-8")
    return gzip.compress(text, compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a local copy of " + WHEEL)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        wheel = args.wheel or _download_wheel(Path(folder))
        compressed = build(wheel)
    args.out.write_bytes(compressed)
    count = gzip.decompress(compressed).count(b"\n")
    print(
        f"{args.out.name}: {count} passwords, {len(compressed)} bytes, sha256 {_sha256(compressed)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
