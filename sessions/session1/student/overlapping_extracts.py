"""Your fix for overlapping_extracts: find the same sales loaded under another name, and refuse them.

Run: pytest --student sessions/session1 -k overlapping_extracts -s

Two functions; both get `cur`, a cursor inside the load's open transaction
(the pipeline calls them after it has begun replacing the file): run your
queries on it, and do NOT commit or roll back (no conn.commit(), no
`with conn:`); they may be called more than once in one transaction, so a
temporary table you create must be dropped (or emptied) again.

overlapping_sources(cur, source_file, invoice_nos) -> dict[str, int]
    invoice_nos: the new file's invoice numbers as text, one per line (so
    repeated: a pandas Series or any iterable of str; possibly empty).
    Return {other_source_file: n} for every source_file in
    bronze.raw_transactions OTHER than source_file itself (a re-run of the
    same file is no overlap) that holds at least one of these invoice
    numbers, n being the number of DISTINCT invoice numbers in common (an
    invoice of 20 lines counts once). No overlap: {}. Sources that share
    nothing are not in the dict, whatever their names.
    Ask the database in a few statements, not one per invoice (the real file
    has 25,900 invoices; the test allows 100 statements for 3,000): e.g.
    invoice_no = ANY(%s) with a list, or a temporary table filled by one COPY.
    An empty list must work (an empty IN () is a syntax error).

check_overlap(cur, source_file, invoice_nos, replace=()) -> None
    Use your overlapping_sources. Sources named in `replace` (a tuple, list
    or set of source_file names: the person said the new file supersedes
    them) do not count. If any other overlapping source is left, raise
    guards.LoadRefused (import it, do not define your own) with a ONE-line
    message that contains source_file, the name of each overlapping source
    left, and for each of them the literal text "--replace NAME" (the CLI
    option that overrides it: python -m sessions.session1.ingest FILE
    --replace NAME). Otherwise return None.
"""
from __future__ import annotations

from collections.abc import Iterable

from sessions.session1.guards import LoadRefused  # noqa: F401 - the error check_overlap raises


def overlapping_sources(cur, source_file: str, invoice_nos: Iterable) -> dict[str, int]:
    # TODO(overlapping_extracts): ONE query on bronze.raw_transactions: for
    # each source_file <> this one whose invoice_no = ANY(%s) (the distinct
    # invoice numbers, as a list), count(DISTINCT invoice_no); return
    # {source_file: count}. No commit.
    raise NotImplementedError("TODO(overlapping_extracts): write overlapping_sources")


def check_overlap(cur, source_file: str, invoice_nos: Iterable, replace: Iterable[str] = ()) -> None:
    # TODO(overlapping_extracts): the overlapping sources not in `replace`; if
    # any, raise LoadRefused(one line naming source_file, each of them, and
    # "--replace NAME" for each).
    raise NotImplementedError("TODO(overlapping_extracts): write check_overlap")
