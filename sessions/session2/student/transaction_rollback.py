"""Your fix for transaction_rollback: one file, one transaction, one clear error.

Run: pytest --student sessions/session2 -k transaction_rollback -s

What the tests check:
* all statements of the file (``runner.split``) run in ONE transaction,
  committed when all succeeded (another connection then sees the result);
  return the rows they affected: the sum of each statement's
  ``cursor.rowcount``, counting a statement without rows (CREATE …, rowcount
  -1) as 0;
* a statement fails (any ``psycopg2.Error``): roll the whole file back (what
  the earlier statements did is undone), leave the connection usable
  (``conn.info.transaction_status`` IDLE), and raise
  ``runner.SqlFileError(file name, statement number, line, column, error)``:
  ``file`` is ``path.name``, ``statement`` counts from 1 as ``runner.split``
  numbers them, ``line``/``column`` are in the FILE: where the statement
  starts (``Statement.line``, column None) when the server gives no position,
  else ``Statement.locate(int(error.diag.statement_position))``;
* ``settings`` (e.g. ``{"silver.days": "2011-12-09"}``) are visible to the
  file's statements and to nothing after it: ``set_config(key, value, true)``
  (like SET LOCAL) inside the file's transaction.
"""
from __future__ import annotations

from pathlib import Path


def run_file(conn, path: Path, settings: dict[str, str] | None = None) -> int:
    # TODO(transaction_rollback): run the file's statements (runner.split) in one
    # transaction; on a psycopg2.Error roll back and raise runner.SqlFileError
    # naming the file, the statement and its line (and column when the server
    # gives a position); commit when all succeeded; return the rows affected.
    # `settings` go through set_config(key, value, true).
    raise NotImplementedError("TODO(transaction_rollback): write run_file")
