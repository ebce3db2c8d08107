"""Where a generated TypeScript client says ``unknown`` in what an operation answers or takes.

openapi-typescript writes ``unknown`` for a schema that says nothing (``{}``, a bare
``dict[str, Any]``); a frontend cannot use such an answer without guessing. This reads the
generated file's ``operations`` and ``components["schemas"]`` blocks (the layout
openapi-typescript 7 writes) and lists, per operation, each ``unknown`` in its parameters and
in its success (2xx) answers, following the schemas they refer to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MEMBER = re.compile(r"^(\s*)(\"[^\"]+\"|[\w$]+)\??: \{\s*$")
_REF = re.compile(r'components\["schemas"\]\["([^"]+)"\]')
# Headers of an answer are open by design (every response may carry more).
_HEADERS = re.compile(r"headers: \{\s*\[name: string\]: unknown;\s*\};")


def _blocks(lines: list[str], start: int, end: int, indent: int) -> Iterator[tuple[str, str]]:
    """(name, text) of each ``name: {`` member at ``indent`` between ``start`` and ``end``."""
    i = start
    while i < end:
        match = _MEMBER.match(lines[i])
        if match and len(match.group(1)) == indent:
            close = " " * indent + "}"
            j = i + 1
            while j < end and not lines[j].startswith(close):
                j += 1
            yield match.group(2).strip('"'), "\n".join(lines[i + 1 : j])
            i = j
        i += 1


def _section(lines: list[str], header: str) -> tuple[int, int]:
    start = lines.index(header) + 1
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    return start, end


def schemas(source: str) -> dict[str, str]:
    lines = source.splitlines()
    start, end = _section(lines, "export interface components {")
    inner = next(i for i in range(start, end) if lines[i] == "    schemas: {")
    return dict(_blocks(lines, inner + 1, end, 8))


def operations(source: str) -> dict[str, str]:
    lines = source.splitlines()
    start, end = _section(lines, "export interface operations {")
    return dict(_blocks(lines, start, end, 4))


def _unknowns_in(text: str, known: dict[str, str], seen: set[str], where: str) -> list[str]:
    found = []
    text = _HEADERS.sub("", text)
    if "unknown" in text:
        found.append(where)
    for name in _REF.findall(text):
        if name not in seen and name in known:
            seen.add(name)
            found += _unknowns_in(known[name], known, seen, f"{where} -> {name}")
    return found


def unknowns(source: str) -> list[str]:
    """``operation: where`` for every ``unknown`` an operation's parameters or 2xx answers
    contain (``schemas`` reached through references are named on the way)."""
    known = schemas(source)
    found = []
    for operation, text in operations(source).items():
        lines = text.splitlines()
        parts = dict(_blocks(lines, 0, len(lines), 8))
        if "parameters" in parts:
            found += _unknowns_in(parts["parameters"], known, set(), f"{operation}: parameters")
        answers = parts.get("responses", "").splitlines()
        for status, answer in _blocks(answers, 0, len(answers), 12):
            if status.startswith("2"):
                found += _unknowns_in(answer, known, set(), f"{operation}: {status}")
    return found
