"""Your fix for transaction_rollback: one file, one transaction, one clear error.

Run: pytest --student sessions/session2 -k transaction_rollback -s
"""
from __future__ import annotations

from pathlib import Path


def run_file(conn, path: Path, settings: dict[str, str] | None = None) -> int:
    # TODO(transaction_rollback): run the file's statements (runner.split) in one
    # transaction; on a psycopg2.Error roll back and raise runner.SqlFileError
    # naming the file, the statement and its line; commit when all succeeded;
    # return the rows affected. `settings` go through set_config(key, value, true).
    raise NotImplementedError("TODO(transaction_rollback): write run_file")
