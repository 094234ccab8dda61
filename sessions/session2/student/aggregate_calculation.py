"""Your fix for aggregate_calculation: no division by zero, no NULL eating revenue.

Run: pytest --student sessions/session2 -k aggregate_calculation -s
"""
from __future__ import annotations

from datetime import date


def daily_revenue(conn, first: date = date.min, last: date = date.max) -> list[tuple]:
    # TODO(aggregate_calculation): for every day of silver.dim_date between first
    # and last, LEFT JOIN the fact and return (day, net revenue, sold quantity,
    # average sold price): COALESCE the sums to 0 and divide by
    # NULLIF(sold quantity, 0) so a day without sales gives None, not an error.
    raise NotImplementedError("TODO(aggregate_calculation): write daily_revenue")
