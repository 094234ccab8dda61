"""Your fix for missing_bronze_table: check what the transform reads before any work.

Run: pytest --student sessions/session2 -k missing_bronze_table -s
"""
from __future__ import annotations


def check_dependencies(conn) -> int:
    # TODO(missing_bronze_table): ask the catalog whether bronze.raw_transactions
    # exists (to_regclass) and count its rows; raise
    # sessions.session2.transform.MissingDependency naming the database and
    # "run session 1 first" when it is missing, or "is empty" when it has no
    # rows; else return the row count. Leave no transaction open.
    raise NotImplementedError("TODO(missing_bronze_table): write check_dependencies")
