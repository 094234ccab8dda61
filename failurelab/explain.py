"""Which cases teach an error a student met in their own job.

The pasted text (a traceback, a log line, psql output) is matched against every
case's recorded expectations, the ``failure.expect(Error, pgcode=..., match=...)``
of its wrong-hand tests: the message pattern weighs most, then the SQLSTATE,
then the exception class. No keywords are kept by hand.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from failurelab.cases import Case, Expectation

# "SQLSTATE 23505", "[SQLSTATE 42P01]", "pgcode: 57014", psql's verbose "ERROR:  23505: ..."
SQLSTATE = re.compile(r"(?:sqlstate|pgcode|error code)\W{0,3}([0-9A-Z]{5})\b|ERROR:\s+([0-9A-Z]{5}):", re.I)
_META = set("\\^$.|?*+()[]{}\"'")


def loosen(pattern: str) -> str:
    """The pattern, unanchored, with its spacing and line breaks as any whitespace (pasted text is re-wrapped)."""
    pattern = pattern.removeprefix("^").removesuffix("$").replace(r"\n", r"\s+")
    return re.sub(r"(?<!\\) +", r"\\s+", pattern)


def stem(pattern: str) -> str:
    """The plain words the pattern starts with: 'duplicate key value violates unique constraint'."""
    out = []
    for char in pattern.removeprefix("^"):
        if char in _META:
            break
        out.append(char)
    return "".join(out).strip(" :") if len(out) >= 12 else ""


@dataclass(frozen=True)
class Match:
    case: Case
    score: int
    reasons: tuple[str, ...]


def score(text: str, e: Expectation) -> tuple[int, list[str]]:
    points, reasons = 0, []
    flat = " ".join(text.split())
    if e.match and re.search(loosen(e.match), text):
        points, reasons = 4, ["the message matches"]
    elif e.match and stem(e.match) and stem(e.match).lower() in flat.lower():
        points, reasons = 2, [f"the message starts like '{stem(e.match)}'"]
    codes = {a or b for a, b in SQLSTATE.findall(text)}
    if e.pgcode and e.pgcode in codes:
        points, reasons = points + 2, reasons + [f"SQLSTATE {e.pgcode}"]
    elif e.pgcode and codes:
        points -= 2  # another SQLSTATE was named: another error
    name = e.error.rsplit(".", 1)[-1]
    if re.search(rf"\b{re.escape(name)}\b", text):
        points, reasons = points + 1, reasons + [name]
    return points, reasons


def rank(text: str, cases: list[Case], limit: int = 3) -> list[Match]:
    """The cases whose expectations fit ``text`` best (course order breaks ties)."""
    found = []
    for case in cases:
        best = max((score(text, e) for e in case.expectations()), key=lambda s: s[0], default=(0, []))
        if best[0] >= 1:
            found.append(Match(case, best[0], tuple(best[1])))
    return sorted(found, key=lambda m: -m.score)[:limit]
