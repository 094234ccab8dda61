"""Your fix for aggregate_calculation: no division by zero, no NULL eating revenue.

Run: pytest --student sessions/session2 -k aggregate_calculation -s

``daily_revenue(conn, first, last)`` reads silver (the fact and dim_date) and
returns one tuple per day of ``silver.dim_date`` from ``first`` to ``last``
(both included), in date order, days without any fact row included:

    (day, net revenue, sold quantity, average sold price)

* ``day``: a ``datetime.date``;
* net revenue: sold_revenue + cancelled_revenue + adjusted_revenue of the
  day's fact rows (cancellations and stock notes are negative); 0 on a day
  without fact rows;
* sold quantity: sum of sold_quantity (sales only, no cancellations); 0 when
  none;
* average sold price: the day's sold revenue / its sold quantity, i.e. the
  price per unit sold, weighted by quantity (NOT the mean of the products'
  prices); ``None`` on a day where nothing was sold.

Numbers may be Decimal, int or float (rounding the average to cents is fine).
"""
from __future__ import annotations

from datetime import date


def daily_revenue(conn, first: date = date.min, last: date = date.max) -> list[tuple]:
    # TODO(aggregate_calculation): for every day of silver.dim_date between first
    # and last, LEFT JOIN the fact and return (day, net revenue, sold quantity,
    # average sold price): COALESCE the sums to 0 and divide the summed
    # sold_revenue by NULLIF(summed sold_quantity, 0) so a day without sales
    # gives None, not an error.
    raise NotImplementedError("TODO(aggregate_calculation): write daily_revenue")
