"""Your fix for duplicate_primary_key: a load you can run twice.

Run: pytest --student sessions/session1 -k duplicate_primary_key -s

replace_source(conn, source_file, good, rejected, progress=None) replaces
everything ``source_file`` loaded before with these frames (``good``: the
bronze columns of RAW_COLUMNS but source_file; ``rejected``: source_line,
reason, raw), in ONE transaction on ``conn`` (a normal, not autocommit,
connection):

* First take a lock that serialises loads of the same file and ends with the
  transaction: SELECT pg_advisory_xact_lock(hashtext(source_file)). A second
  load of that file started meanwhile (a cron job started twice, in this or
  another process) then waits, and replaces the first load instead of failing.
  The key is hashtext(source_file), the same in every process (Python's hash()
  of a string is not: it differs from process to process).
* DELETE this source_file's rows from bronze.raw_transactions AND from
  bronze.rejected_rows (the quarantine): nothing of other source files.
* copy_frame(cur, good.assign(source_file=source_file),
  "bronze.raw_transactions", RAW_COLUMNS, progress) (pass ``progress`` on: it
  reports the share of good rows loaded, ending at 1.0), and the same for
  rejected into "bronze.rejected_rows" with REJECTED_COLUMNS.
* COMMIT, and return the number of rows loaded into bronze.raw_transactions
  (len(good); the quarantined rows are not counted).
* On any error, a database error or any other exception (e.g. a KeyError for
  a frame that lacks a column): roll back (the previous load of the file stays
  exactly as it was, and the connection stays usable, idle) and re-raise it.

Twice equals once, row for row; a file without rows leaves nothing of it.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sessions.session1.load import RAW_COLUMNS, REJECTED_COLUMNS, copy_frame


def replace_source(conn, source_file: str, good: pd.DataFrame, rejected: pd.DataFrame,
                   progress: Callable[[float], None] | None = None) -> int:
    # TODO(duplicate_primary_key): in ONE transaction: lock this source_file
    # (pg_advisory_xact_lock(hashtext(...))), DELETE its rows from
    # bronze.raw_transactions and bronze.rejected_rows, then
    # copy_frame(cur, good.assign(source_file=...), "bronze.raw_transactions",
    # RAW_COLUMNS, progress) and the same for rejected (REJECTED_COLUMNS);
    # commit. On any exception roll back and re-raise. Return the number of
    # good rows loaded.
    raise NotImplementedError("TODO(duplicate_primary_key): write replace_source")
