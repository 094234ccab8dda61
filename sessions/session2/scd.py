"""Slowly changing dimensions for dim_product: type 1 (overwrite) and type 2 (history).

The pipeline's 02_dim_product.sql is SCD1 over all of bronze. These functions
show both patterns on explicit rows, one (stock_code, description) per code.
"""
from __future__ import annotations

from datetime import datetime

SCD1 = """
INSERT INTO silver.dim_product AS p (stock_code, description, is_product, source_codes, descriptions_seen)
VALUES (%(code)s, %(description)s, silver.is_product_code(%(code)s), ARRAY[%(code)s], 1)
ON CONFLICT (stock_code) DO UPDATE            -- the natural key exists: overwrite, keep product_key
    SET description = EXCLUDED.description, updated_at = now()
    WHERE p.description IS DISTINCT FROM EXCLUDED.description"""

SCD2_TABLE = """
CREATE TABLE IF NOT EXISTS silver.dim_product_history (
    version_key  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stock_code   text        NOT NULL,
    description  text        NOT NULL,
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz,                      -- NULL: the current version
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
-- at most one current version per code: the natural key is unique among current rows only
CREATE UNIQUE INDEX IF NOT EXISTS dim_product_history_current ON silver.dim_product_history (stock_code)
    WHERE valid_to IS NULL"""

SCD2_CLOSE = """
UPDATE silver.dim_product_history SET valid_to = %(at)s
WHERE stock_code = %(code)s AND valid_to IS NULL AND description IS DISTINCT FROM %(description)s"""

SCD2_OPEN = """
INSERT INTO silver.dim_product_history (stock_code, description, valid_from)
SELECT %(code)s, %(description)s, %(at)s
WHERE NOT EXISTS (SELECT FROM silver.dim_product_history WHERE stock_code = %(code)s AND valid_to IS NULL)"""


def _one_per_code(rows: list[tuple[str, str]]) -> list[dict]:
    codes = [code for code, _ in rows]
    if len(codes) != len(set(codes)):
        # one INSERT … ON CONFLICT cannot update the same row twice (CardinalityViolation):
        # decide the winning description BEFORE the upsert, as 02_dim_product.sql does
        raise ValueError("one row per stock_code: pick the winning description first")
    return [{"code": code, "description": description} for code, description in rows]


def scd1_upsert(conn, rows: list[tuple[str, str]]) -> int:
    """Type 1: insert new codes, overwrite changed descriptions in place; return rows written."""
    written = 0
    with conn.cursor() as cur:
        for row in _one_per_code(rows):
            cur.execute(SCD1, row)
            written += cur.rowcount
    conn.commit()
    return written


def scd2_upsert(conn, rows: list[tuple[str, str]], at: datetime) -> int:
    """Type 2: close the current version of a changed code and open a new one at ``at``."""
    opened = 0
    with conn.cursor() as cur:
        cur.execute(SCD2_TABLE)
        for row in _one_per_code(rows):
            cur.execute(SCD2_CLOSE, {**row, "at": at})
            cur.execute(SCD2_OPEN, {**row, "at": at})
            opened += cur.rowcount
    conn.commit()
    return opened
