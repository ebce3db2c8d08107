"""Checks on the derived formulas: every operand exists and nothing depends on itself."""

from typing import Any


def check(entries: list[dict[str, Any]]) -> None:
    """Every operand is a catalog indicator and no formula depends on itself."""
    deps = {
        e["code"]: [op for s in e["sources"] if "derived" in s for op in _operands(s["derived"])]
        for e in entries
    }
    for code, operands in deps.items():
        missing = [op for op in operands if op not in deps]
        if missing:
            raise KeyError(f"{code} uses unknown indicators {missing}")
    done: set[str] = set()

    def visit(code: str, path: tuple[str, ...]) -> None:
        if code in path:
            raise ValueError(f"cycle: {' -> '.join((*path, code))}")
        if code not in done:
            for op in deps[code]:
                visit(op, (*path, code))
            done.add(code)

    for code in deps:
        visit(code, ())


def _operands(formula: dict[str, Any]) -> list[str]:
    if formula["op"] == "sum":
        return list(formula["terms"])
    return [value for key, value in formula.items() if key not in ("op", "scale")]
