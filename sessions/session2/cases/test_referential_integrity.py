"""A fact row pointing at a day the calendar does not have.

Scenario:
    The calendar was built for the data's range when the project started.
    A new daily batch arrives for 2011-12-10, and the fact load computes the
    date key from the invoice date instead of taking it from dim_date.
Why:
    The foreign key fact_sales_daily.date_key → dim_date refuses a key that
    does not exist: the load fails with a ForeignKeyViolation. Without the
    constraint the row would be kept, and every report joining the calendar
    would drop it: an orphan.
Fix:
    Load dimensions first, then insert the fact through joins to them, so a
    key can only be one that exists; before that, an orphan-finding query
    (transform.find_orphans) lists bronze rows no dimension row matches.
Hints:
    - An inner join never shows the rows that have no partner; a LEFT JOIN
      keeps them, with NULLs.
    - Normalise the code the way dim_product does, both to match it and to
      group by it.
    - The dimensions always see all of bronze; only the fact is scoped by the
      days, and no day at all is not the same as every day.
"""
from datetime import date

import psycopg2
import pytest

from sessions.session2 import transform
from sessions.session2.transform import TransformReport
from sessions.session2.conftest import IDLE, add_batch, add_rows, query, transaction_state

pytestmark = pytest.mark.failure_case("business_logic", fix=[transform.find_orphans, transform.run])

COMPUTED_KEY_INSERT = """
INSERT INTO silver.fact_sales_daily
SELECT to_char(b.invoice_date, 'YYYYMMDD')::integer,  -- computed, not looked up in dim_date
       p.product_key, sum(quantity), sum(quantity * unit_price), count(DISTINCT invoice_no), 0, 0, 0, 0, 0, count(*)
FROM bronze.raw_transactions b JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
WHERE b.invoice_date::date = '2011-12-10'
GROUP BY 1, 2"""


def test_wrong_referential_integrity_computed_date_key_violates_the_foreign_key(bronze, failure):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10", codes=("85123A",))
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.ForeignKeyViolation, pgcode="23503",
            match=r'insert or update on table "fact_sales_daily_y2011m12" violates foreign key constraint '
                  r'"fact_sales_daily_date_key_fkey"\nDETAIL:  Key \(date_key\)=\(20111210\) is not present'):
        cur.execute(COMPUTED_KEY_INSERT)
    bronze.rollback()


DEC9, DEC10, DEC11 = date(2011, 12, 9), date(2011, 12, 10), date(2011, 12, 11)
NEW_DAY = "no dim_date row"
NEW_PRODUCT = "no dim_product row"
XMIN = "SELECT date_key, product_key, xmin::text FROM silver.fact_sales_daily ORDER BY 1, 2"
DEC10_FACT = """SELECT p.stock_code, f.sold_quantity FROM silver.fact_sales_daily f
                JOIN silver.dim_product p USING (product_key) WHERE f.date_key = 20111210 ORDER BY 1"""


def test_right_referential_integrity_finds_orphans_then_loads_dimensions_first(bronze, solution):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10")  # a new day; 23999 is a new product too: the day is what is missing first
    orphans = solution.find_orphans(bronze)
    assert transaction_state(bronze) == IDLE, (
        f"find_orphans should leave no transaction open; the connection is in {transaction_state(bronze)}")
    due = [(NEW_DAY, DEC10, "23999", 3), (NEW_DAY, DEC10, "85123A", 3)]
    assert [tuple(row) for row in orphans] == due, (
        f"find_orphans returned {orphans!r}; due: {due}, one (reason, day as a datetime.date, normalised code, "
        "lines) per orphan group, the reason 'no dim_date row' when the day is missing, whether or not the product is")


def test_right_referential_integrity_orphans_use_the_normalised_code_and_skip_non_products(bronze, solution):
    transform.run(bronze)
    add_rows(bronze, "batch_2011-12-09.csv", [
        ("600001", "85123a", 2, 2.55, "2011-12-09"),      # a known product, spelled in lower case: no orphan
        ("600001", "23998b", 2, 1.25, "2011-12-09"),      # a new product, two spellings: one orphan, 3 lines
        ("600002", "23998b", 1, 1.25, "2011-12-09"), ("600003", "23998B", 4, 1.25, "2011-12-09"),
        ("600003", "DCGS0099", 1, 5.00, "2011-12-09", "Dotcom sale")])  # not a product: never in the fact
    add_rows(bronze, "batch_2011-12-10.csv", [
        ("600004", "23997c", 1, 3.00, "2011-12-10"),      # a new day and a new product
        ("600004", "POST", 1, 18.00, "2011-12-10", "POSTAGE")])  # not a product, on a new day: not an orphan
    orphans = [tuple(row) for row in solution.find_orphans(bronze)]
    due = [(NEW_PRODUCT, DEC9, "23998B", 3), (NEW_DAY, DEC10, "23997C", 1)]
    assert orphans == due, (
        f"find_orphans returned {orphans!r}; due: {due}. Codes are normalised (upper(btrim(code))) both to match "
        "dim_product and to group (23998b and 23998B are one product, 85123a is the known 85123A), and only "
        "product codes count (silver.is_product_code: DCGS0099 and POST are never orphans)")


def test_right_referential_integrity_orphans_are_ordered_by_day_and_code_and_limited(bronze, solution):
    transform.run(bronze)
    add_rows(bronze, "batch.csv", [
        ("600001", "ZZ100", 1, 1.00, "2011-12-09"), ("600002", "ZZ100", 1, 1.00, "2011-12-09"),
        ("600003", "AA100", 1, 1.00, "2011-12-10"), ("600003", "85123A", 1, 2.55, "2011-12-10"),
        ("600004", "AA100", 1, 1.00, "2011-12-11")])
    due = [(NEW_PRODUCT, DEC9, "ZZ100", 2), (NEW_DAY, DEC10, "85123A", 1), (NEW_DAY, DEC10, "AA100", 1),
           (NEW_DAY, DEC11, "AA100", 1)]
    orphans = [tuple(row) for row in solution.find_orphans(bronze)]
    assert orphans == due, f"find_orphans returned {orphans!r}; due, ordered by day then code: {due}"
    first = [tuple(row) for row in solution.find_orphans(bronze, limit=2)]
    assert first == due[:2], (
        f"find_orphans(conn, limit=2) returned {first!r}; due: the first 2 groups, {due[:2]}")


def check_report(report, days):
    """run returns a TransformReport whose days are the days given (None: all days; []: no day)."""
    assert isinstance(report, TransformReport), (
        f"run should return a TransformReport; it returned {type(report).__name__}")
    if days is None:
        assert report.days is None, (
            f"run(conn) (days None: every day) should return a TransformReport with days None; days is {report.days!r}")
    else:
        assert report.days is not None and sorted(set(report.days)) == sorted(set(days)), (
            f"run(conn, {days!r}) should return a TransformReport with days = the days given ([] stays [], "
            f"not None, which means every day); days is {report.days!r}")


def test_right_referential_integrity_run_loads_a_new_day_through_refreshed_dimensions(bronze, solution):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10")
    add_batch(bronze, "2012-01-05", codes=("85123A",))  # and the first day of a month the fact has no partition for
    report = solution.run(bronze, [DEC10, date(2012, 1, 5)])  # just those days: the dimensions come first anyway
    check_report(report, [DEC10, date(2012, 1, 5)])
    assert transaction_state(bronze) == IDLE, f"run should commit; the connection is in {transaction_state(bronze)}"
    left = transform.find_orphans(bronze)
    assert left == [], f"after run, every bronze product row should find its dimension rows; orphans: {left}"
    loaded = query(bronze, DEC10_FACT)
    assert loaded == [("23999", 9), ("85123A", 9)], (
        f"the fact of 2011-12-10 should hold 23999 and 85123A, 9 sold each; it holds {loaded}")
    january = query(bronze, "SELECT sum(sold_quantity) FROM silver.fact_sales_daily WHERE date_key = 20120105")
    assert january == [(9,)], (
        f"the fact of 2012-01-05 (a new month: its partition first) should hold 9 sold; it holds {january}")


def test_right_referential_integrity_run_refreshes_the_fact_of_the_days_given_only(bronze, solution):
    transform.run(bronze)
    before = query(bronze, XMIN)
    report = solution.run(bronze, [])  # no day in scope (no batch today): not one fact row is rewritten
    check_report(report, [])
    assert query(bronze, XMIN) == before, "run(conn, []) should rewrite no fact row (an empty scope is no day)"
    add_batch(bronze, "2011-12-10")
    check_report(solution.run(bronze, [DEC10]), [DEC10])
    after = query(bronze, XMIN)
    rewritten = sorted({key for key, _, _ in set(after) - set(before) if key != 20111210})
    assert not rewritten, f"run(conn, [2011-12-10]) should rewrite that day's fact only; it rewrote days {rewritten}"
    loaded = query(bronze, DEC10_FACT)
    assert loaded == [("23999", 9), ("85123A", 9)], (
        f"run(conn, [2011-12-10]) should load that day: 23999 and 85123A, 9 sold each; the fact holds {loaded}")
    with bronze.cursor() as cur:
        cur.execute("DELETE FROM silver.fact_sales_daily WHERE date_key IN (20101201, 20111209)")
    bronze.commit()
    check_report(solution.run(bronze), None)
    rows = [(key, product) for key, product, _ in query(bronze, XMIN)]
    assert rows == [(key, product) for key, product, _ in after], (
        "run(conn) (days None) should rebuild the fact of every day: the deleted days 2010-12-01 and 2011-12-09 "
        "should be back")
