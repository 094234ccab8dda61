"""Your fix for empty_reexport: refuse a re-load that would wipe most of a file's rows.

Run: pytest --student sessions/session1 -k empty_reexport -s

check_shrink(source_file, before, after, allow_shrink=False) -> None
    before: the rows source_file has in bronze.raw_transactions now (0 if it
    was never loaded); after: the rows its new version would load. The
    pipeline calls it inside the load's transaction, before the DELETE.

* Refuse, by raising guards.LoadRefused (import it, do not define your own),
  when before > 0 and after < before / 2: fewer than half the rows are left
  (an empty or header-only re-export is after == 0). Exactly half is
  allowed: 2 of 4 passes, 2 of 5 is refused, 270,954 of 541,909 is refused
  (mind integer division: 5 // 2 == 2).
* Never refuse a first load (before == 0), a file that grew or kept its
  size, or any load when allow_shrink is True (the person checked the file:
  `python -m sessions.session1.ingest FILE --allow-shrink`).
* The message is ONE line and contains source_file, the number before, the
  number after (plain, 541909, or with thousands separators, 541,909) and
  the literal option "--allow-shrink".
* Otherwise return None.
"""
from __future__ import annotations

from sessions.session1.guards import LoadRefused  # noqa: F401 - the error check_shrink raises


def check_shrink(source_file: str, before: int, after: int, allow_shrink: bool = False) -> None:
    # TODO(empty_reexport): unless allow_shrink, raise LoadRefused(one line:
    # source_file, before, after, "--allow-shrink") when before > 0 and after
    # is less than half of before (exactly half passes).
    raise NotImplementedError("TODO(empty_reexport): write check_shrink")
