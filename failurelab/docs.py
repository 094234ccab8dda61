"""Write the failure-case tables into the docs, from the cases themselves.

Every table between ``<!-- cases:NAME -->`` and ``<!-- /cases:NAME -->`` in the
files below is generated: edit the case module, then run

    python -m failurelab.docs          # rewrite the tables
    python -m failurelab.docs --check  # exit 1 if a table is stale (the self-check runs this)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from failurelab.cases import CATEGORIES, Case, discover

ROOT = Path(__file__).resolve().parent.parent


def _error(case: Case) -> str:
    seen = []
    for e in case.expectations():
        text = f"`{e.error.rsplit('.', 1)[-1]}`" + (f" {e.pgcode}" if e.pgcode else "")
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def learning_table(cases: list[Case]) -> str:
    rows = ["| case | category | what it teaches | when it happens | the real error (wrong path) | "
            "the fix (right path) |", "|---|---|---|---|---|---|"]
    rows += [f"| [`{c.name}`](cases/test_{c.name}.py) | {c.category} | {c.title} | {c.sections['Scenario']} | "
             f"{_error(c)} | {c.sections['Fix']} |" for c in cases]
    return "\n".join(rows)


def troubleshooting_table(cases: list[Case], link: str = "cases/") -> str:
    rows = ["| you see | category | first action | read the case |", "|---|---|---|---|"]
    rows += [f"| {_error(c)} | {c.category} | {_first_sentence(c.sections['Fix'])} | "
             f"`pytest sessions/{c.session} -k {c.name} -s` |" for c in cases]
    return "\n".join(rows)


def quick_reference(cases: list[Case]) -> str:
    rows = ["| case | category | run it |", "|---|---|---|"]
    rows += [f"| [`{c.name}`](test_{c.name}.py): {c.title} | {c.category} | "
             f"`pytest sessions/{c.session} -k {c.name} -s` |" for c in cases]
    return "\n".join(rows)


def all_sessions(cases: list[Case]) -> str:
    rows = ["| session | case | category | the real error | first action |", "|---|---|---|---|---|"]
    rows += [f"| {c.session} | [`{c.name}`](../sessions/{c.session}/cases/test_{c.name}.py) | {c.category} | "
             f"{_error(c)} | {_first_sentence(c.sections['Fix'])} |" for c in cases]
    return "\n".join(rows)


def categories_table() -> str:
    rows = ["| category | what fails | select with |", "|---|---|---|"]
    rows += [f"| {name} | {what} | `pytest -m {name}` |" for name, what in CATEGORIES.items()]
    return "\n".join(rows)


def targets(cases: list[Case]) -> dict[Path, dict[str, str]]:
    out: dict[Path, dict[str, str]] = {ROOT / "docs" / "failure-cases.md": {"all": all_sessions(cases),
                                                                           "categories": categories_table()}}
    for session in sorted({c.session for c in cases}):
        mine = [c for c in cases if c.session == session]
        out[ROOT / "sessions" / session / "README.md"] = {
            "learning": learning_table(mine), "troubleshooting": troubleshooting_table(mine)}
        out[ROOT / "sessions" / session / "cases" / "README.md"] = {"quick": quick_reference(mine)}
    return out


def render(text: str, tables: dict[str, str]) -> str:
    for name, table in tables.items():
        pattern = re.compile(rf"(<!-- cases:{name} -->\n).*?(<!-- /cases:{name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"no <!-- cases:{name} --> ... <!-- /cases:{name} --> block")
        text = pattern.sub(lambda m: f"{m[1]}{table}\n{m[2]}", text)
    return text


def stale(cases: list[Case] | None = None) -> list[str]:
    """Files whose generated tables differ from the cases (rewritten unless checking)."""
    return [str(p.relative_to(ROOT)) for p, t in targets(cases or discover()).items()
            if p.read_text() != render(p.read_text(), t)]


def main(argv: list[str]) -> int:
    cases = discover()
    if "--check" in argv:
        outdated = stale(cases)
        for path in outdated:
            print(f"stale tables in {path}: run python -m failurelab.docs")
        return 1 if outdated else 0
    for path, tables in targets(cases).items():
        path.write_text(render(path.read_text(), tables))
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
