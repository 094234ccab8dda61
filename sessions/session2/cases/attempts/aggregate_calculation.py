"""Attempts at aggregate_calculation (spoilers): what students hand in, and the verdict due."""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from failurelab.attempts import right, wrong


def _query(conn, sql, first, last):
    with conn.cursor() as cur:
        cur.execute(sql, {"first": first, "last": last})
        rows = cur.fetchall()
    conn.rollback()
    return rows


@wrong("averages the products' prices of the day: a product sold once weighs as much as one sold by the thousand",
       caught_by="weighs_the_average_by_quantity")
class MeanOfProductPrices:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   coalesce(sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue), 0),
                   coalesce(sum(f.sold_quantity), 0),
                   avg(f.sold_revenue / NULLIF(f.sold_quantity, 0))
            FROM silver.dim_date d LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date ORDER BY d.full_date""", first, last)


@wrong("counts cancelled units in the sold quantity: the average sold price is inflated on days with cancellations",
       caught_by="weighs_the_average_by_quantity")
class CancellationsInTheQuantity:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   coalesce(sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue), 0),
                   coalesce(sum(f.sold_quantity + f.cancelled_quantity), 0),
                   sum(f.sold_revenue) / NULLIF(sum(f.sold_quantity + f.cancelled_quantity), 0)
            FROM silver.dim_date d LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date ORDER BY d.full_date""", first, last)


@wrong("divides the net revenue by the sold quantity: cancellations and write-offs lower the price of what was sold",
       caught_by="weighs_the_average_by_quantity")
class NetRevenuePerUnit:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date, coalesce(net, 0), coalesce(sold, 0), net / NULLIF(sold, 0)
            FROM silver.dim_date d
            LEFT JOIN (SELECT date_key, sum(sold_revenue + cancelled_revenue + adjusted_revenue) AS net,
                              sum(sold_quantity) AS sold
                       FROM silver.fact_sales_daily GROUP BY date_key) f USING (date_key)
            WHERE d.full_date BETWEEN %(first)s AND %(last)s ORDER BY 1""", first, last)


@wrong("an inner join to the fact: days without sales vanish from the report instead of showing 0",
       caught_by="totals_stay_right")
class InnerJoinDropsEmptyDays:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue),
                   sum(f.sold_quantity),
                   sum(f.sold_revenue) / NULLIF(sum(f.sold_quantity), 0)
            FROM silver.dim_date d JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date ORDER BY d.full_date""", first, last)


@wrong("keeps only days that sold something (HAVING sold > 0): no division by zero, and no cancellation-only day",
       caught_by="totals_stay_right")
class OnlyDaysWithSales:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue),
                   sum(f.sold_quantity),
                   sum(f.sold_revenue) / sum(f.sold_quantity)
            FROM silver.dim_date d LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date HAVING sum(f.sold_quantity) > 0 ORDER BY d.full_date""", first, last)


@wrong("net revenue as sales + cancellations: the stock notes' write-offs are left out",
       caught_by="weighs_the_average_by_quantity")
class NetWithoutStockNotes:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   coalesce(sum(f.sold_revenue + f.cancelled_revenue), 0),
                   coalesce(sum(f.sold_quantity), 0),
                   sum(f.sold_revenue) / NULLIF(sum(f.sold_quantity), 0)
            FROM silver.dim_date d LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date ORDER BY d.full_date""", first, last)


@wrong("an average of 0 on a day without sales: a price nobody paid, that drags every weekly mean down",
       caught_by="weighs_the_average_by_quantity")
class ZeroInsteadOfNone:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   coalesce(sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue), 0),
                   coalesce(sum(f.sold_quantity), 0),
                   coalesce(sum(f.sold_revenue) / NULLIF(sum(f.sold_quantity), 0), 0)
            FROM silver.dim_date d LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date ORDER BY d.full_date""", first, last)


@wrong("the last day is excluded (full_date < last): a report up to today misses today",
       caught_by="weighs_the_average_by_quantity")
class LastDayExcluded:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            SELECT d.full_date,
                   coalesce(sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue), 0),
                   coalesce(sum(f.sold_quantity), 0),
                   sum(f.sold_revenue) / NULLIF(sum(f.sold_quantity), 0)
            FROM silver.dim_date d LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date >= %(first)s AND d.full_date < %(last)s
            GROUP BY d.full_date ORDER BY d.full_date""", first, last)


@wrong("net from two joined subqueries: sales + NULL cancellations is NULL, and COALESCE makes the day 0",
       caught_by="totals_stay_right")
class NetFromJoinedSubqueries:
    def daily_revenue(conn, first=date.min, last=date.max):
        return _query(conn, """
            WITH sales AS (SELECT date_key, sum(sold_revenue + adjusted_revenue) AS revenue,
                                  sum(sold_quantity) AS quantity
                           FROM silver.fact_sales_daily GROUP BY date_key),
                 cancels AS (SELECT date_key, sum(cancelled_revenue) AS revenue
                             FROM silver.fact_sales_daily WHERE cancelled_quantity < 0 GROUP BY date_key)
            SELECT d.full_date, coalesce(s.revenue + c.revenue, 0), coalesce(s.quantity, 0),
                   s.revenue / NULLIF(s.quantity, 0)
            FROM silver.dim_date d LEFT JOIN sales s USING (date_key) LEFT JOIN cancels c USING (date_key)
            WHERE d.full_date BETWEEN %(first)s AND %(last)s ORDER BY 1""", first, last)


@right("Python does the arithmetic: per-day sums fetched from the fact, the calendar filled in, Decimal division")
class InPython:
    def daily_revenue(conn, first=date.min, last=date.max):
        with conn.cursor() as cur:
            cur.execute("SELECT full_date, date_key FROM silver.dim_date WHERE full_date BETWEEN %s AND %s "
                        "ORDER BY full_date", (first, last))
            calendar = cur.fetchall()
            cur.execute("SELECT date_key, sold_revenue, cancelled_revenue, adjusted_revenue, sold_quantity "
                        "FROM silver.fact_sales_daily")
            per_day = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
            for key, sold, cancelled, adjusted, quantity in cur:
                day = per_day[key]
                day[0] += sold + cancelled + adjusted
                day[1] += sold
                day[2] += quantity
        conn.rollback()
        out = []
        for day, key in calendar:
            net, sold, quantity = per_day.get(key, (Decimal(0), Decimal(0), 0))
            out.append((day, net, quantity, round(sold / quantity, 2) if quantity else None))
        return out


@right("a CASE instead of NULLIF, the fact summed per day in a subquery first, >= and <= for the range")
class CaseAndSubquery:
    def daily_revenue(conn, first=date.min, last=date.max):
        return [(day, net, sold, avg) for day, net, sold, avg in _query(conn, """
            SELECT d.full_date::date,
                   coalesce(f.net, 0),
                   coalesce(f.sold, 0),
                   CASE WHEN coalesce(f.sold, 0) = 0 THEN NULL ELSE f.revenue / f.sold END
            FROM silver.dim_date d
            LEFT JOIN (SELECT date_key,
                              sum(sold_revenue) + sum(cancelled_revenue) + sum(adjusted_revenue) AS net,
                              sum(sold_revenue) AS revenue, sum(sold_quantity) AS sold
                       FROM silver.fact_sales_daily GROUP BY date_key) f ON f.date_key = d.date_key
            WHERE d.full_date >= %(first)s AND d.full_date <= %(last)s
            ORDER BY d.full_date""", first, last)]
