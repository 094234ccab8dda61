"""Your fix for referential_integrity: find the orphans, load dimensions first.

Run: pytest --student sessions/session2 -k referential_integrity -s
"""
from __future__ import annotations

from datetime import date

from sessions.session2.transform import TransformReport


def find_orphans(conn, limit: int = 20) -> list[tuple]:
    # TODO(referential_integrity): LEFT JOIN bronze's product rows to dim_date and
    # dim_product and return (reason, day, normalised code, lines) where either
    # side is missing, ordered by day and code.
    raise NotImplementedError("TODO(referential_integrity): write find_orphans")


def run(conn, days: list[date] | None = None) -> TransformReport:
    # TODO(referential_integrity): refresh the dimensions from all of bronze
    # before the fact, and insert the fact through joins to them.
    raise NotImplementedError("TODO(referential_integrity): write run")
