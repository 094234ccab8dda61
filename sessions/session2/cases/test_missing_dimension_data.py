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
"""
import psycopg2
import pytest

from sessions.session2 import runner, transform
from sessions.session2.conftest import add_batch

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


def test_right_missing_dimension_data_loads_dimensions_first_and_keeps_every_line(bronze, solution):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10")
    report = solution.run(bronze)
    assert report.fact_lines + report.excluded_lines == report.bronze_rows
    with bronze.cursor() as cur:
        cur.execute("SELECT sum(bronze_lines) FROM silver.fact_sales_daily WHERE date_key = 20111210")
        assert cur.fetchone() == (6,)


def test_right_missing_dimension_data_reconciliation_fails_loudly_on_a_lost_row(bronze, solution):
    transform.run(bronze)
    with bronze.cursor() as cur:  # simulate the silent loss: one product-day vanishes from the fact
        cur.execute("DELETE FROM silver.fact_sales_daily WHERE (date_key, product_key) IN "
                    "(SELECT date_key, product_key FROM silver.fact_sales_daily ORDER BY 1, 2 LIMIT 1)")
    bronze.commit()
    with pytest.raises(transform.ReconciliationError,
                       match=r"does not reconcile with bronze: lines bronze \d+ != fact \d+; sold_quantity"):
        solution.reconcile(bronze)
