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
Hints:
    - Decide what you will write before writing anything: a duplicate found
      half-way leaves half a batch written.
    - INSERT … ON CONFLICT … DO UPDATE can take a WHERE; the cursor's rowcount
      then counts only the rows really written.
    - SCD2 compares each row with the CURRENT version of its code (valid_to IS
      NULL) only; a closed version is history and never changes.
"""
from datetime import datetime, timezone

import psycopg2
import pytest

from failurelab.expect import must_raise
from sessions.session2 import runner, scd
from sessions.session2.conftest import IDLE, transaction_state

pytestmark = pytest.mark.failure_case("business_logic", fix=[scd.scd1_upsert, scd.scd2_upsert])

NAIVE = """
INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes, descriptions_seen)
SELECT DISTINCT upper(btrim(stock_code)), btrim(description), true, ARRAY[]::text[], 1
FROM bronze.raw_transactions WHERE description IS NOT NULL"""
WHITE, CREAM = "WHITE HANGING HEART T-LIGHT HOLDER", "CREAM HANGING HEART T-LIGHT HOLDER"
PARASOL = "EDWARDIAN PARASOL BLACK"
CARTON = "wrongly marked carton 22804"
PRODUCTS = "SELECT product_key, stock_code, description FROM silver.dim_product ORDER BY product_key"
FLAGS = "SELECT product_key, stock_code, description, is_product FROM silver.dim_product ORDER BY product_key"
CREAM_CASED = "Cream Hanging Heart T-Light Holder"  # CREAM corrected in case only
HISTORY = "SELECT stock_code, description, valid_from, valid_to FROM silver.dim_product_history ORDER BY 1, 3"


def test_wrong_duplicate_dimension_distinct_pairs_violate_the_unique_code(bronze, failure):
    runner.run_file(bronze, runner.SQL_DIR / "00_schema.sql")
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.UniqueViolation, pgcode="23505",
            match=r'duplicate key value violates unique constraint "dim_product_stock_code_key"\n'
                  r'DETAIL:  Key \(stock_code\)=\(\w+\) already exists'):
        cur.execute(NAIVE)
    bronze.rollback()


def read(db, query):
    """What another connection sees: only committed rows."""
    other = db.connect()
    try:
        with other.cursor() as cur:
            cur.execute(query)
            return cur.fetchall()
    finally:
        other.close()


def test_right_duplicate_dimension_scd1_overwrites_in_place_and_keeps_the_key(db, conn, solution):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    written = solution.scd1_upsert(conn, [("85123A", WHITE), ("15056BL", PARASOL)])
    assert written == 2, f"scd1_upsert of two new codes should return 2 (rows written); it returned {written!r}"
    assert transaction_state(conn) == IDLE, f"scd1_upsert should commit; the connection is in {transaction_state(conn)}"
    first = {code: (key, description) for key, code, description in read(db, PRODUCTS)}
    assert {code: d for code, (_, d) in first.items()} == {"85123A": WHITE, "15056BL": PARASOL}, (
        f"after the first upsert another connection should see 85123A and 15056BL, committed; it sees {first}")
    written = solution.scd1_upsert(conn, [("85123A", CREAM), ("15056BL", PARASOL), ("22423", "REGENCY CAKESTAND")])
    assert written == 2, (f"renaming 85123A, keeping 15056BL as it was and adding 22423 writes 2 rows; "
                          f"scd1_upsert returned {written!r}")
    written = solution.scd1_upsert(conn, [("85123A", CREAM)])
    assert written == 0, f"an upsert that changes nothing should write nothing and return 0; it returned {written!r}"
    now = {code: (key, description) for key, code, description in read(db, PRODUCTS)}
    keys = {key for key, _ in first.values()}
    assert (now.keys() == {"85123A", "15056BL", "22423"} and now["85123A"] == (first["85123A"][0], CREAM)
            and now["15056BL"] == first["15056BL"] and now["22423"][0] not in keys), (
        "SCD1 overwrites the description in place: 85123A keeps its product_key "
        f"{first['85123A'][0]} with the new description, 15056BL is untouched, 22423 gets a new key; "
        f"(product_key, description) per code is {now}")
    written = solution.scd1_upsert(conn, [("85123A", CREAM_CASED), ("22423", "REGENCY CAKESTAND"), ("POST", "POSTAGE")])
    assert written == 2, (f"a case-only correction of 85123A ({CREAM!r} -> {CREAM_CASED!r}) is a change, 22423 is "
                          f"unchanged and POST is new: 2 rows written; scd1_upsert returned {written!r}")
    cased = {code: (key, description, is_product) for key, code, description, is_product in read(db, FLAGS)}
    assert cased.get("85123A") == (first["85123A"][0], CREAM_CASED, True), (
        f"a description that differs only in case is a change: 85123A should keep product_key {first['85123A'][0]} "
        f"and read {CREAM_CASED!r}; (product_key, description, is_product) is {cased.get('85123A')}")
    flags = {code: flag for code, (_, _, flag) in cased.items()}
    assert flags == {"85123A": True, "15056BL": True, "22423": True, "POST": False}, (
        "is_product is silver.is_product_code(code) for each code: true for the products, false for POST "
        f"(postage); is_product per code is {flags}")


def test_right_duplicate_dimension_scd1_refuses_two_rows_for_one_code_before_writing(db, conn, solution):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    solution.scd1_upsert(conn, [("85123A", WHITE)])
    before = read(db, PRODUCTS)
    with must_raise(ValueError, "two rows for one stock_code (85123A) must be refused before anything is written"):
        solution.scd1_upsert(conn, [("22423", "REGENCY CAKESTAND"), ("85123A", CREAM), ("85123A", "?")])
    conn.commit()  # anything written on the way would be committed now
    after = read(db, PRODUCTS)
    assert after == before, f"nothing should be written when the rows are refused: {before} became {after}"


def test_right_duplicate_dimension_scd2_keeps_every_version_with_its_validity(db, conn, solution):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    t1, t2, t3, t4 = (datetime(2010, 12, 1, tzinfo=timezone.utc), datetime(2011, 6, 1, tzinfo=timezone.utc),
                      datetime(2011, 9, 1, tzinfo=timezone.utc), datetime(2011, 11, 1, tzinfo=timezone.utc))
    opened = solution.scd2_upsert(conn, [("85123A", WHITE), ("15056BL", PARASOL)], t1)
    assert opened == 2, f"the first scd2_upsert of two codes opens 2 versions; it returned {opened!r}"
    assert transaction_state(conn) == IDLE, f"scd2_upsert should commit; the connection is in {transaction_state(conn)}"
    opened = solution.scd2_upsert(conn, [("85123A", CREAM), ("15056BL", PARASOL)], t2)
    assert opened == 1, f"renaming 85123A (15056BL unchanged) opens 1 version; scd2_upsert returned {opened!r}"
    opened = solution.scd2_upsert(conn, [("85123A", CREAM)], t2)
    assert opened == 0, f"a re-run that changes nothing opens no version; scd2_upsert returned {opened!r}"
    opened = solution.scd2_upsert(conn, [("85123A", CARTON)], t3)
    assert opened == 1, f"renaming 85123A a second time opens 1 version; scd2_upsert returned {opened!r}"
    history = read(db, HISTORY)
    assert history == [("15056BL", PARASOL, t1, None), ("85123A", WHITE, t1, t2), ("85123A", CREAM, t2, t3),
                       ("85123A", CARTON, t3, None)], (
        "after WHITE (t1), CREAM (t2) and a third description (t3), dim_product_history should hold every version "
        "(stock_code, description, valid_from, valid_to) dated with the `at` given; only the current version "
        "(CREAM) is closed at t3, a closed version is history (WHITE stays closed at t2); "
        f"another connection sees {history}")
    opened = solution.scd2_upsert(conn, [("85123A", WHITE)], t4)
    assert opened == 1, (f"renaming 85123A back to its first description is a change too: 1 version; "
                         f"scd2_upsert returned {opened!r}")
    history = read(db, HISTORY)
    assert history == [("15056BL", PARASOL, t1, None), ("85123A", WHITE, t1, t2), ("85123A", CREAM, t2, t3),
                       ("85123A", CARTON, t3, t4), ("85123A", WHITE, t4, None)], (
        "silver.dim_product_history should hold every version (stock_code, description, valid_from, valid_to), "
        f"closed at the time of the change, the current one with valid_to NULL; another connection sees {history}")


def test_right_duplicate_dimension_scd2_allows_one_current_version_per_code(conn, solution):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    t1, t2 = datetime(2010, 12, 1, tzinfo=timezone.utc), datetime(2011, 6, 1, tzinfo=timezone.utc)
    solution.scd2_upsert(conn, [("85123A", WHITE)], t1)
    solution.scd2_upsert(conn, [("85123A", CREAM)], t2)
    with must_raise(ValueError, "two rows for one stock_code (85123A) must be refused, as in scd1_upsert"):
        solution.scd2_upsert(conn, [("85123A", WHITE), ("85123A", "?")], t2)
    conn.rollback()
    with must_raise(psycopg2.errors.UniqueViolation, "silver.dim_product_history must refuse a second current "
                    "version of a code (a unique index on stock_code WHERE valid_to IS NULL)"):
        with conn.cursor() as cur:  # reopen the closed version: two current rows for 85123A
            cur.execute("UPDATE silver.dim_product_history SET valid_to = NULL "
                        "WHERE stock_code = '85123A' AND valid_to IS NOT NULL")
    conn.rollback()
