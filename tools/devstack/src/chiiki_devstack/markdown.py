"""Generated parts of the docs: text kept between two HTML-comment markers of a Markdown file."""

from __future__ import annotations

from pathlib import Path


def replace_section(doc: Path, start: str, end: str, text: str) -> None:
    """Write ``text`` between the ``start`` and ``end`` markers of ``doc`` (both kept)."""
    before, rest = doc.read_text(encoding="utf-8").split(start, 1)
    after = rest.split(end, 1)[1]
    doc.write_text(f"{before}{start}\n{text}\n{end}{after}", encoding="utf-8")
    print(f"updated {doc}")
