"""Your fix for duplicate_dimension: one row per code, upserted (SCD1) or versioned (SCD2).

Run: pytest --student sessions/session2 -k duplicate_dimension -s

``rows`` is a list of (stock_code, description). What the tests check:

``scd1_upsert(conn, rows)`` on ``silver.dim_product`` (made by 00_schema.sql):
* two rows with the same stock_code: raise ``ValueError`` before writing anything;
* a new code gets a row (and a new ``product_key``); a code whose description
  changed (a change in case only too: descriptions are compared exactly) is
  overwritten in place, keeping its ``product_key``; an unchanged code is not
  written at all;
* commit; return the rows written (inserted + changed; 0 when nothing changed).
  The table's other NOT NULL columns need values: is_product
  (``silver.is_product_code(code)``: false for POST, fees …), source_codes
  (``ARRAY[code]``), descriptions_seen (1).

``scd2_upsert(conn, rows, at)`` on ``silver.dim_product_history``, which it
creates when missing (``CREATE TABLE IF NOT EXISTS``, every call):
  version_key integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stock_code text NOT NULL, description text NOT NULL,
  valid_from timestamptz NOT NULL, valid_to timestamptz (NULL: the current version),
  and a UNIQUE index on (stock_code) WHERE valid_to IS NULL (one current version per code);
* two rows with the same stock_code: raise ``ValueError``;
* a new code: open a version valid_from ``at``; a code whose description
  differs from its CURRENT version (also back to an older description): close
  that version (valid_to = ``at``) and open a new one from ``at``; an unchanged
  code: nothing; closed versions are never changed;
* commit; return the versions opened.
"""
from __future__ import annotations

from datetime import datetime


def scd1_upsert(conn, rows: list[tuple[str, str]]) -> int:
    # TODO(duplicate_dimension): refuse two rows for one code (ValueError) before
    # writing, then INSERT INTO silver.dim_product … ON CONFLICT (stock_code) DO
    # UPDATE SET description = EXCLUDED.description WHERE it differs; commit and
    # return the rows written (0 when nothing changed).
    raise NotImplementedError("TODO(duplicate_dimension): write scd1_upsert")


def scd2_upsert(conn, rows: list[tuple[str, str]], at: datetime) -> int:
    # TODO(duplicate_dimension): create silver.dim_product_history if missing
    # (columns above; one current row per code), refuse two rows for one code
    # (ValueError), close the current version of each changed code at `at`, open
    # a new one from `at`; commit and return the versions opened.
    raise NotImplementedError("TODO(duplicate_dimension): write scd2_upsert")
