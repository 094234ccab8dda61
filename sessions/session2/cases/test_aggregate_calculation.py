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
Hints:
    - x / NULL is NULL, not an error; NULLIF turns a chosen value into NULL.
    - Start from the calendar and LEFT JOIN the fact: the empty days stay,
      with NULL sums that COALESCE turns into 0.
    - An average price is a total over a total: with a mean of per-product
      prices, one unit sold weighs as much as a thousand.
"""
from datetime import date
from decimal import Decimal

import psycopg2
import pytest

from sessions.session2 import kpis, transform
from sessions.session2.conftest import add_rows

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

# What each day should show, computed by hand from bronze's product lines (not from the fact):
# net = every line's revenue; sold = quantity of sale lines; average = their revenue / their quantity.
BY_HAND = """
SELECT invoice_date::date,
       sum(quantity * unit_price),
       coalesce(sum(quantity) FILTER (WHERE NOT is_cancellation AND quantity > 0), 0),
       sum(quantity * unit_price) FILTER (WHERE NOT is_cancellation AND quantity > 0)
           / sum(quantity) FILTER (WHERE NOT is_cancellation AND quantity > 0)
FROM bronze.raw_transactions WHERE silver.is_product_code(stock_code)
GROUP BY 1 ORDER BY 1"""

# Three crafted days after the sample: a Saturday with sales at two prices, a cancellation,
# a stock note and postage; a Sunday without anything; a Monday with only a cancellation.
CRAFTED = [("581600", "85123A", 10, 1.00, "2011-12-10"), ("581600", "22423", 1, 10.00, "2011-12-10"),
           ("581600", "POST", 1, 18.00, "2011-12-10", "POSTAGE"), ("C581601", "85123A", -5, 1.00, "2011-12-10"),
           ("581602", "85123A", -2, 0.50, "2011-12-10", "damaged"), ("C581603", "22423", -1, 10.00, "2011-12-12")]


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


def close(a, b, tolerance: str = "0.005") -> bool:
    """Equal numbers (within half a cent: rounding to cents is fine), or both None."""
    if a is None or b is None:
        return a is None and b is None
    return abs(Decimal(str(a)) - Decimal(str(b))) <= Decimal(tolerance)


def shown(row) -> str:
    day, net, sold, average = row
    return f"{day}: net {net}, sold {sold}, average {average}"


def test_right_aggregate_calculation_totals_stay_right_and_averages_stay_defined(bronze, solution):
    transform.run(bronze)
    days = [tuple(row) for row in solution.daily_revenue(bronze)]
    with bronze.cursor() as cur:
        cur.execute("SELECT full_date FROM silver.dim_date ORDER BY 1")
        calendar = [day for day, in cur.fetchall()]
        cur.execute(BY_HAND)
        by_hand = {day: (net, sold, average) for day, net, sold, average in cur.fetchall()}
    bronze.rollback()
    assert [row[0] for row in days] == calendar, (
        f"daily_revenue should return one row per day of silver.dim_date ({len(calendar)} days, "
        f"{calendar[0]} … {calendar[-1]}, days without sales included), in date order, each day a datetime.date; "
        f"it returned {len(days)} rows" + (f", the first {days[0][0]!r}" if days else ""))
    wrong = [(row, by_hand.get(row[0], (0, 0, None))) for row in days
             if not all(close(mine, due) for mine, due in zip(row[1:], by_hand.get(row[0], (0, 0, None))))]
    assert not wrong, (
        f"{len(wrong)} of {len(days)} days differ from bronze's product lines (net = all lines' revenue, "
        f"sold = quantity of sale lines, average = their revenue / their quantity, None without sales), "
        f"e.g. yours {shown(wrong[0][0])}; due: net {wrong[0][1][0]}, sold {wrong[0][1][1]}, "
        f"average {wrong[0][1][2]}" if wrong else "")


def test_right_aggregate_calculation_weighs_the_average_by_quantity_on_crafted_days(bronze, solution):
    add_rows(bronze, "crafted.csv", CRAFTED)
    transform.run(bronze)
    days = [tuple(row) for row in solution.daily_revenue(bronze, date(2011, 12, 10), date(2011, 12, 12))]
    due = [(date(2011, 12, 10), Decimal("14.00"), 11, Decimal(20) / Decimal(11)),
           (date(2011, 12, 11), 0, 0, None), (date(2011, 12, 12), Decimal("-10.00"), 0, None)]
    assert [row[0] for row in days] == [row[0] for row in due], (
        "daily_revenue(conn, 2011-12-10, 2011-12-12) should return the three days from first to last, both "
        f"included, the empty Sunday too; it returned the days {[row[0] for row in days]}")
    for mine, right in zip(days, due):
        assert all(close(a, b) for a, b in zip(mine[1:], right[1:])), (
            f"yours {shown(mine)}; due {shown(right)}. Net = sales + cancellations + stock notes, sold = sales only, "
            "average = sold revenue / sold quantity, None without sales. The data: on 2011-12-10 85123A sold 10 at "
            "1.00 and 22423 1 at 10.00 (average 20.00 / 11, not the mean of the two prices), 5 of 85123A were "
            "cancelled (-5.00), a stock note wrote off 2 at 0.50 (-1.00), postage is not a product; on 2011-12-12 "
            "one 22423 was cancelled (-10.00)")
