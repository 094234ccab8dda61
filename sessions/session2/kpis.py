"""Reports over silver: the numbers a dashboard shows, computed so they stay right."""
from __future__ import annotations

from datetime import date


def daily_revenue(conn, first: date = date.min, last: date = date.max) -> list[tuple]:
    """(day, net revenue, sold quantity, average sold price or None) for every calendar day."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT d.full_date,
                   -- net = sales + cancellations (negative) + stock notes: each part is NOT NULL
                   -- in the fact, and COALESCE covers days without a fact row (LEFT JOIN: NULL)
                   coalesce(sum(f.sold_revenue + f.cancelled_revenue + f.adjusted_revenue), 0),
                   coalesce(sum(f.sold_quantity), 0),
                   -- the average price of what was SOLD (the fact keeps sales apart), NULL when
                   -- nothing was: NULLIF turns a zero divisor into NULL, not a DivisionByZero
                   sum(f.sold_revenue) / NULLIF(sum(f.sold_quantity), 0)
            FROM silver.dim_date d
            LEFT JOIN silver.fact_sales_daily f ON f.date_key = d.date_key
            WHERE d.full_date BETWEEN %(first)s AND %(last)s
            GROUP BY d.full_date
            ORDER BY d.full_date""", {"first": first, "last": last})
        rows = cur.fetchall()
    conn.rollback()
    return rows
