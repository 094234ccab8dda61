"""Division by zero and a NULL that swallows revenue.

Scenario:
    A report computes the average price per day and product as revenue /
    quantity, and the net revenue per day as sales + cancellations from two
    subqueries joined together.
Why:
    On 2011-12-09 product 23843 was sold (80,995) and cancelled (-80,995):
    the quantity sums to 0 and the whole query dies with DivisionByZero.
    Worse is silent: on a day without cancellations the LEFT JOIN gives NULL,
    sales + NULL is NULL, and SUM skips NULLs, so those days' revenue vanishes
    from the total without any error.
Fix:
    Divide by NULLIF(divisor, 0) (no average where nothing was sold), filter
    explicitly what goes into each measure (FILTER (WHERE …)), COALESCE
    what may be missing, and test that the totals equal bronze's.
"""
from decimal import Decimal

import psycopg2
import pytest

from sessions.session2 import kpis, transform

pytestmark = pytest.mark.failure_case("business_logic", fix=kpis.daily_revenue)

AVERAGE = """SELECT invoice_date::date, stock_code, sum(quantity * unit_price) / sum(quantity)
             FROM bronze.raw_transactions GROUP BY 1, 2"""
NET = """
WITH sales AS (SELECT invoice_date::date AS day, sum(quantity * unit_price) AS revenue
               FROM bronze.raw_transactions WHERE NOT is_cancellation GROUP BY 1),
     cancels AS (SELECT invoice_date::date AS day, sum(quantity * unit_price) AS revenue
                 FROM bronze.raw_transactions WHERE is_cancellation GROUP BY 1)
SELECT sum(s.revenue + c.revenue) FROM sales s LEFT JOIN cancels c USING (day)"""
TRUTH = "SELECT sum(quantity * unit_price) FROM bronze.raw_transactions"
DAYS_WITH_BOTH = """SELECT sum(revenue) FROM (SELECT sum(quantity * unit_price) AS revenue FROM bronze.raw_transactions
    GROUP BY invoice_date::date HAVING bool_or(is_cancellation) AND bool_or(NOT is_cancellation)) AS days"""


def test_wrong_aggregate_calculation_average_price_divides_by_a_zero_quantity(bronze, failure):
    with bronze.cursor() as cur, failure.expect(psycopg2.errors.DivisionByZero, pgcode="22012",
                                                match=r"^division by zero$"):
        cur.execute(AVERAGE)
    bronze.rollback()


def test_wrong_aggregate_calculation_null_silently_drops_days_from_the_total(bronze):
    with bronze.cursor() as cur:
        cur.execute(NET)
        naive = cur.fetchone()[0]
        cur.execute(TRUTH)
        truth = cur.fetchone()[0]
        cur.execute(DAYS_WITH_BOTH)
        kept = cur.fetchone()[0]
    bronze.rollback()
    assert naive == kept < truth * Decimal("0.7")  # no error: only days with sales AND a cancellation count


def test_right_aggregate_calculation_totals_stay_right_and_averages_stay_defined(bronze, solution):
    transform.run(bronze)
    days = solution.daily_revenue(bronze)
    assert len(days) == 374 and all(net is not None for _, net, _, _ in days)
    totals = transform.reconcile(bronze)
    product_revenue = totals["sold_revenue"] + totals["cancelled_revenue"] + totals["adjusted_revenue"]
    assert sum(net for _, net, _, _ in days) == product_revenue
    saturdays = [row for row in days if row[0].isoweekday() == 6]
    assert saturdays and all(net == 0 and sold == 0 and avg is None for _, net, sold, avg in saturdays)
    last = [row for row in days if str(row[0]) == "2011-12-09"][0]
    assert last[3] is not None  # the cancelled 80,995 do not break the average of what was sold
