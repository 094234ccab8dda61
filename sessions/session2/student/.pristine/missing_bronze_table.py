"""Your fix for missing_bronze_table: check what the transform reads before any work.

Run: pytest --student sessions/session2 -k missing_bronze_table -s

What the tests check:
* no table ``bronze.raw_transactions`` (no bronze schema, a bronze schema
  without the table, or a ``raw_transactions`` table in another schema):
  raise ``sessions.session2.transform.MissingDependency`` whose message names
  ``bronze.raw_transactions``, the database the connection is on
  (``current_database()``) and says ``run session 1 first``;
* the table is there but has no rows: ``MissingDependency`` naming
  ``bronze.raw_transactions`` and the database, saying ``is empty`` and
  ``run session 1``;
* otherwise return its number of rows;
* only look: create nothing, and leave no transaction open, whether the check
  passes or fails (``conn.info.transaction_status`` is IDLE afterwards: roll
  back, also before raising).
"""
from __future__ import annotations


def check_dependencies(conn) -> int:
    # TODO(missing_bronze_table): ask the catalog whether bronze.raw_transactions
    # exists (to_regclass) and count its rows; raise
    # sessions.session2.transform.MissingDependency naming the table, the
    # database and "run session 1 first" when it is missing, or "is empty" when
    # it has no rows; else return the row count. Leave no transaction open
    # (also when you raise).
    raise NotImplementedError("TODO(missing_bronze_table): write check_dependencies")
