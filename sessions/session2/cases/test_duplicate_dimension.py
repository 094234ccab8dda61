"""One product code, several descriptions.

Scenario:
    dim_product is loaded with SELECT DISTINCT code, description. The real
    data has 650 codes with more than one description: 85123A is "WHITE
    HANGING HEART T-LIGHT HOLDER", "CREAM HANGING HEART T-LIGHT HOLDER", "?"
    and "wrongly marked carton 22804"; 15056bl and 15056BL are one product.
Why:
    DISTINCT makes pairs unique, not codes. The natural key (stock_code) is
    UNIQUE, so the second description of a code is refused: UniqueViolation.
    Dropping the constraint instead would double every fact row joined to it.
Fix:
    Decide one row per code before loading (SCD type 1: the winning
    description by a written rule) and upsert with INSERT … ON CONFLICT
    (stock_code) DO UPDATE, which overwrites and keeps the surrogate key.
    When history matters, SCD type 2 closes the old version and opens a new one.
"""
from datetime import datetime, timezone

import psycopg2
import pytest

from sessions.session2 import runner, scd

pytestmark = pytest.mark.failure_case("business_logic", fix=[scd.scd1_upsert, scd.scd2_upsert])

NAIVE = """
INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes, descriptions_seen)
SELECT DISTINCT upper(btrim(stock_code)), btrim(description), true, ARRAY[]::text[], 1
FROM bronze.raw_transactions WHERE description IS NOT NULL"""
WHITE, CREAM = "WHITE HANGING HEART T-LIGHT HOLDER", "CREAM HANGING HEART T-LIGHT HOLDER"


def test_wrong_duplicate_dimension_distinct_pairs_violate_the_unique_code(bronze, failure):
    runner.run_file(bronze, runner.SQL_DIR / "00_schema.sql")
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.UniqueViolation, pgcode="23505",
            match=r'duplicate key value violates unique constraint "dim_product_stock_code_key"\n'
                  r'DETAIL:  Key \(stock_code\)=\(\w+\) already exists'):
        cur.execute(NAIVE)
    bronze.rollback()


def test_right_duplicate_dimension_scd1_overwrites_in_place_and_keeps_the_key(conn, solution):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    assert solution.scd1_upsert(conn, [("85123A", WHITE), ("15056BL", "EDWARDIAN PARASOL BLACK")]) == 2
    assert solution.scd1_upsert(conn, [("85123A", CREAM)]) == 1
    assert solution.scd1_upsert(conn, [("85123A", CREAM)]) == 0  # nothing changed: nothing written
    with conn.cursor() as cur:
        cur.execute("SELECT product_key, description FROM silver.dim_product ORDER BY product_key")
        assert cur.fetchall() == [(1, CREAM), (2, "EDWARDIAN PARASOL BLACK")]
    with pytest.raises(ValueError, match="one row per stock_code"):
        solution.scd1_upsert(conn, [("85123A", WHITE), ("85123A", "?")])


def test_right_duplicate_dimension_scd2_keeps_every_version_with_its_validity(conn, solution):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    t1, t2 = datetime(2010, 12, 1, tzinfo=timezone.utc), datetime(2011, 6, 1, tzinfo=timezone.utc)
    assert solution.scd2_upsert(conn, [("85123A", WHITE)], t1) == 1
    assert solution.scd2_upsert(conn, [("85123A", CREAM)], t2) == 1
    assert solution.scd2_upsert(conn, [("85123A", CREAM)], t2) == 0  # a re-run adds no version
    with conn.cursor() as cur:
        cur.execute("SELECT description, valid_from, valid_to FROM silver.dim_product_history ORDER BY version_key")
        assert cur.fetchall() == [(WHITE, t1, t2), (CREAM, t2, None)]

