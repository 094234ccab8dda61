"""Fact loaded against empty or incomplete dimensions.

Scenario:
    The fact is loaded before its dimensions: the dimension step failed
    earlier, someone ran only the fact file, or the dimensions are from
    yesterday's data while bronze already holds today's batch.
Why:
    A key looked up in an empty dimension is NULL, and the fact's NOT NULL
    key refuses it: loud, which is the good case. With an inner join the same
    rows are dropped without a word, and the totals are simply smaller.
Fix:
    Enforce the load order (dimensions, then fact, each file its own
    transaction) in one entry point, transform.run, and reconcile the fact
    with bronze after every load so a lost row fails the run loudly.
Hints:
    - A check that uses the same joins as the load has the same blind spots:
      decide on bronze alone what belongs in the fact.
    - Compare every measure, not only the count of lines, and say which one
      differs and by how much.
    - Run the files one by one, each committed on its own, in the order the
      keys depend on each other; reconcile last.
"""
import re
from decimal import Decimal

import psycopg2
import pytest

from failurelab.expect import must_raise
from sessions.session2 import runner, transform
from sessions.session2.conftest import IDLE, add_batch, add_rows, query, transaction_state

pytestmark = pytest.mark.failure_case("data_quality", fix=[transform.run, transform.reconcile])

LOOKUP_INSERT = """
INSERT INTO silver.fact_sales_daily
SELECT to_char(day, 'YYYYMMDD')::integer,
       (SELECT product_key FROM silver.dim_product p WHERE p.stock_code = b.code),  -- NULL when missing
       sum(quantity), sum(quantity * unit_price), count(DISTINCT invoice_no), 0, 0, 0, 0, 0, count(*)
FROM (SELECT invoice_date::date AS day, upper(btrim(stock_code)) AS code, * FROM bronze.raw_transactions) b
WHERE NOT is_cancellation AND quantity > 0
GROUP BY day, code"""

JOIN_INSERT = """
INSERT INTO silver.fact_sales_daily
SELECT d.date_key, p.product_key, sum(quantity), sum(quantity * unit_price), count(DISTINCT invoice_no),
       0, 0, 0, 0, 0, count(*)
FROM bronze.raw_transactions b
JOIN silver.dim_date d ON d.full_date = b.invoice_date::date
JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
WHERE b.invoice_date::date = '2011-12-10' AND quantity > 0
GROUP BY d.date_key, p.product_key"""


def test_wrong_missing_dimension_data_looks_up_keys_in_an_empty_dimension(bronze, failure):
    runner.run_file(bronze, runner.SQL_DIR / "00_schema.sql")  # tables made, dimensions never loaded
    transform.ensure_partitions(bronze)
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.NotNullViolation, pgcode="23502",
            match=r'null value in column "product_key" of relation "fact_sales_daily_y\d{4}m\d{2}" '
                  r'violates not-null constraint'):
        cur.execute(LOOKUP_INSERT)
    bronze.rollback()


def test_wrong_missing_dimension_data_inner_join_loses_todays_rows_silently(bronze):
    transform.run(bronze)                     # yesterday: dimensions and fact are right
    add_batch(bronze, "2011-12-10")           # today's batch lands in bronze
    with bronze.cursor() as cur:
        cur.execute(JOIN_INSERT)              # only the fact is refreshed: no error at all
        assert cur.rowcount == 0              # ... and all 6 new lines are gone
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE invoice_date::date = '2011-12-10'")
        assert cur.fetchone() == (6,)
    bronze.commit()


MEASURES = ["lines", "sold_quantity", "sold_revenue", "cancelled_quantity", "cancelled_revenue",
            "adjusted_quantity", "adjusted_revenue"]
# The same totals, computed by hand on bronze: what belongs in the fact is decided by the code, not by a join.
BRONZE_TOTALS = """
SELECT count(*),
       coalesce(sum(quantity) FILTER (WHERE NOT is_cancellation AND quantity > 0), 0),
       coalesce(sum(quantity * unit_price) FILTER (WHERE NOT is_cancellation AND quantity > 0), 0),
       coalesce(sum(quantity) FILTER (WHERE is_cancellation), 0),
       coalesce(sum(quantity * unit_price) FILTER (WHERE is_cancellation), 0),
       coalesce(sum(quantity) FILTER (WHERE NOT is_cancellation AND quantity <= 0), 0),
       coalesce(sum(quantity * unit_price) FILTER (WHERE NOT is_cancellation AND quantity <= 0), 0)
FROM bronze.raw_transactions WHERE silver.is_product_code(stock_code)"""
FACT = "SELECT * FROM silver.fact_sales_daily ORDER BY date_key, product_key"
# a dimension row that never arrives: the dim_product load skips the new product 23999
SKIP_NEW_PRODUCT = """
CREATE FUNCTION public.skip_23999() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN IF NEW.stock_code = '23999' THEN RETURN NULL; END IF; RETURN NEW; END$$;
CREATE TRIGGER skip_23999 BEFORE INSERT ON silver.dim_product FOR EACH ROW EXECUTE FUNCTION public.skip_23999()"""


def plain(message: str) -> str:
    """The message with thousands separators dropped: 1,987 and 1987 read the same."""
    return re.sub(r"(?<=\d)[,_](?=\d{3})", "", message)


def test_right_missing_dimension_data_loads_dimensions_first_and_keeps_every_line(bronze, solution):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10")  # a new day, and a product (23999) no dimension has seen
    add_rows(bronze, "batch_2012-01-05.csv", [("600001", "85123A", 4, 2.55, "2012-01-05"),
                                              ("600001", "POST", 1, 18.00, "2012-01-05", "POSTAGE")])  # a new month
    report = solution.run(bronze)
    assert transaction_state(bronze) == IDLE, f"run should commit its work; the connection is in {transaction_state(bronze)}"
    (rows, products), = query(bronze, "SELECT count(*), count(*) FILTER (WHERE silver.is_product_code(stock_code)) "
                                      "FROM bronze.raw_transactions")
    mine = (report.bronze_rows, report.fact_lines, report.excluded_lines)
    assert mine == (rows, products, rows - products), (
        f"the TransformReport should say bronze_rows {rows} (all of bronze), fact_lines {products} (product rows, "
        f"in the fact), excluded_lines {rows - products} (non-product rows); yours says {mine}")
    new = dict(query(bronze, "SELECT date_key, sum(bronze_lines) FROM silver.fact_sales_daily "
                             "WHERE date_key IN (20111210, 20120105) GROUP BY 1"))
    assert new == {20111210: 6, 20120105: 1}, (
        "the fact should hold the 6 lines of 2011-12-10 (a new day, a new product) and the one product line of "
        f"2012-01-05 (a new month): load the dimensions, then the partitions, then the fact; it holds {new}")
    transform.reconcile(bronze)


def test_right_missing_dimension_data_run_fails_loudly_when_a_join_loses_rows(bronze, solution):
    transform.run(bronze)
    with bronze.cursor() as cur:
        cur.execute(SKIP_NEW_PRODUCT)
    bronze.commit()
    add_batch(bronze, "2011-12-10")  # 23999 will not reach dim_product, so the fact's inner join drops its 3 lines
    with must_raise(transform.ReconciliationError, "run should reconcile after the load: 3 lines of 23999 found no "
                    "dim_product row and are not in the fact"):
        solution.run(bronze)
    assert transaction_state(bronze) == IDLE, (
        f"run should leave no transaction open, also when it raises; the connection is in {transaction_state(bronze)}")


def test_right_missing_dimension_data_a_failing_fact_file_keeps_the_dimensions_and_the_old_fact(bronze, solution):
    transform.run(bronze)
    before = query(bronze, FACT)
    with bronze.cursor() as cur:  # the fact load will fail on the new day's rows
        cur.execute("ALTER TABLE silver.fact_sales_daily ADD CONSTRAINT no_20111210 CHECK (date_key <> 20111210)")
    bronze.commit()
    add_batch(bronze, "2011-12-10")
    with must_raise(Exception, "run should fail when the fact file fails") as err:
        solution.run(bronze)
    assert not isinstance(err.value, transform.ReconciliationError), (
        "the fact file's own error should reach the caller (it names the file and the statement); your run "
        f"carried on after it and raised ReconciliationError: {err.value}")
    assert transaction_state(bronze) == IDLE, (
        f"run should roll the failed file back; the connection is in {transaction_state(bronze)}")
    dimensions = query(bronze, "SELECT (SELECT count(*) FROM silver.dim_date WHERE date_key = 20111210), "
                               "(SELECT count(*) FROM silver.dim_product WHERE stock_code = '23999')")
    assert dimensions == [(1, 1)], (
        "each file is its own transaction: the dimension files ran and committed before the fact file failed, so "
        "dim_date should have 2011-12-10 and dim_product 23999 (counts: " f"{dimensions[0]})")
    assert query(bronze, FACT) == before, "the failed fact file should leave the previous fact as it was"


def test_right_missing_dimension_data_reconciliation_fails_loudly_on_a_lost_row(bronze, solution):
    transform.run(bronze)
    (lines,), = query(bronze, "SELECT sum(bronze_lines) FROM silver.fact_sales_daily")
    with bronze.cursor() as cur:  # simulate the silent loss: one product-day vanishes from the fact
        cur.execute("DELETE FROM silver.fact_sales_daily WHERE (date_key, product_key) IN "
                    "(SELECT date_key, product_key FROM silver.fact_sales_daily ORDER BY 1, 2 LIMIT 1) "
                    "RETURNING bronze_lines")
        lost = cur.fetchone()[0]
    bronze.commit()
    with must_raise(transform.ReconciliationError, "reconcile should raise when a fact row is lost") as err:
        solution.reconcile(bronze)
    message = plain(str(err.value))
    assert "lines" in message and str(lines) in message and str(lines - lost) in message, (
        f"the ReconciliationError should name each measure that differs with both values, here lines: bronze "
        f"{lines}, fact {lines - lost}; yours says {str(err.value)!r}")
    assert transaction_state(bronze) == IDLE, (
        f"reconcile should leave no transaction open, also when it raises; the connection is in "
        f"{transaction_state(bronze)}")


def test_right_missing_dimension_data_reconciliation_checks_every_measure(bronze, solution):
    transform.run(bronze)
    key = query(bronze, "SELECT date_key, product_key FROM silver.fact_sales_daily ORDER BY 1, 2 LIMIT 1")[0]
    for measure in ["bronze_lines"] + MEASURES[1:]:
        name = "lines" if measure == "bronze_lines" else measure
        with bronze.cursor() as cur:
            cur.execute(f"UPDATE silver.fact_sales_daily SET {measure} = {measure} + 1 "
                        "WHERE date_key = %s AND product_key = %s", key)
        bronze.commit()
        try:
            with must_raise(transform.ReconciliationError, f"reconcile should raise when the fact's {name} is off "
                            "by one") as err:
                solution.reconcile(bronze)
        finally:
            bronze.rollback()
            with bronze.cursor() as cur:
                cur.execute(f"UPDATE silver.fact_sales_daily SET {measure} = {measure} - 1 "
                            "WHERE date_key = %s AND product_key = %s", key)
            bronze.commit()
        assert name in str(err.value), (
            f"the ReconciliationError should name the measure that differs, {name}; yours says {str(err.value)!r}")


def test_right_missing_dimension_data_reconciliation_names_every_measure_that_differs_with_both_values(bronze,
                                                                                                         solution):
    transform.run(bronze)
    due = dict(zip(MEASURES, query(bronze, BRONZE_TOTALS)[0]))
    key = query(bronze, "SELECT date_key, product_key FROM silver.fact_sales_daily ORDER BY 1, 2 LIMIT 1")[0]
    with bronze.cursor() as cur:  # two measures off at once
        cur.execute("UPDATE silver.fact_sales_daily SET sold_quantity = sold_quantity + 1, "
                    "cancelled_quantity = cancelled_quantity - 1 WHERE date_key = %s AND product_key = %s", key)
    bronze.commit()
    with must_raise(transform.ReconciliationError, "reconcile should raise when the fact's sold_quantity and "
                    "cancelled_quantity are both off by one") as err:
        solution.reconcile(bronze)
    message = plain(str(err.value))
    off = {"sold_quantity": (due["sold_quantity"], due["sold_quantity"] + 1),
           "cancelled_quantity": (due["cancelled_quantity"], due["cancelled_quantity"] - 1)}
    missing = [f"{name}: bronze {b}, fact {f}" for name, (b, f) in off.items()
               if not (name in message and str(b) in message and str(f) in message)]
    assert not missing, (
        "the ReconciliationError should name EACH measure that differs with bronze's and the fact's value, not only "
        f"the first; missing: {'; '.join(missing)}; yours says {str(err.value)!r}")


def test_right_missing_dimension_data_reconciliation_passes_a_correct_fact_and_returns_bronzes_totals(bronze,
                                                                                                       solution):
    transform.run(bronze)
    due = dict(zip(MEASURES, query(bronze, BRONZE_TOTALS)[0]))
    totals = solution.reconcile(bronze)
    assert isinstance(totals, dict) and all(
        totals.get(k) is not None and abs(Decimal(str(totals[k])) - due[k]) <= Decimal("0.001") for k in MEASURES), (
        f"on a fact that matches bronze, reconcile should return bronze's totals {due}; it returned {totals!r}")
    assert transaction_state(bronze) == IDLE, (
        f"reconcile should leave no transaction open; the connection is in {transaction_state(bronze)}")


def test_right_missing_dimension_data_reconciliation_decides_on_bronze_not_through_the_joins(bronze, solution):
    transform.run(bronze)
    # a new product on a day dim_date has; only the fact file is run, so the product's lines are lost
    add_batch(bronze, "2011-12-09", codes=("23999",))
    runner.run_file(bronze, runner.SQL_DIR / "03_fact_sales_daily.sql")
    with must_raise(transform.ReconciliationError, "reconcile should notice the 3 lines of 23999 (no dim_product row "
                    "yet) missing from the fact: decide what belongs in the fact on bronze, not through dim_product"):
        solution.reconcile(bronze)
    transform.run(bronze)  # all in order again
    # a known product on a day dim_date lacks; again only the fact file is run
    add_batch(bronze, "2011-12-10", codes=("85123A",))
    runner.run_file(bronze, runner.SQL_DIR / "03_fact_sales_daily.sql")
    with must_raise(transform.ReconciliationError, "reconcile should notice the 3 lines of 2011-12-10 (no dim_date "
                    "row yet) missing from the fact: decide what belongs in the fact on bronze, not through dim_date"):
        solution.reconcile(bronze)
