"""Your fix for referential_integrity: find the orphans, load dimensions first.

Run: pytest --student sessions/session2 -k referential_integrity -s

What the tests check:

``find_orphans(conn, limit=20)`` lists the bronze rows no dimension row matches:
* only product rows (``silver.is_product_code(stock_code)``: postage, fees …
  never go into the fact, so they are never orphans);
* a row is an orphan when its day (``invoice_date::date``) has no
  ``silver.dim_date`` row (``full_date``), or its NORMALISED code
  (``upper(btrim(stock_code))``, so ``85123a`` is the known ``85123A``) has no
  ``silver.dim_product`` row (``stock_code``); a new product on a new day is an
  orphan too;
* one tuple per group ``(reason, day, code, lines)``: reason ``'no dim_date row'``
  when the day is missing (whether or not the product is), else
  ``'no dim_product row'``; day a ``datetime.date``; code the normalised one
  (``23998b`` and ``23998B`` are one group); lines the number of bronze rows;
* ordered by day, then code; at most ``limit`` groups; ``[]`` when none;
* leave no transaction open (``conn.info.transaction_status`` IDLE).

``run(conn, days=None)``:
* the dimensions first, from ALL of bronze, whatever ``days`` is: the files
  00_schema.sql, 01_dim_date.sql, 02_dim_product.sql of
  ``sessions/session2/sql``, each in its own transaction (``runner.run_file``);
* then the fact (the partitions first: ``transform.ensure_partitions``;
  then 03_fact_sales_daily.sql), which takes its keys from the dimensions by
  joins: ``days=None`` rebuilds every day; a list of ``datetime.date``
  replaces the fact rows of those days only (rows of other days are not
  rewritten); ``[]`` touches no fact row (skip the fact file). The fact file
  reads its days from the setting ``silver.days``: comma-separated ISO dates,
  empty for all days (``runner.run_file(conn, path, {"silver.days": "2011-12-10"})``);
* commit, leave no transaction open; return a ``TransformReport``
  (``days``: the days given: ``None`` stays ``None``, ``[]`` stays ``[]``).
(Calling ``transform.find_orphans`` or ``transform.run`` from your code does not count as a fix; the
pipeline's other parts, ``runner.run_file`` and ``transform.ensure_partitions``, are yours to use.)
"""
from __future__ import annotations

from datetime import date

from sessions.session2.transform import TransformReport


def find_orphans(conn, limit: int = 20) -> list[tuple]:
    # TODO(referential_integrity): LEFT JOIN bronze's product rows to dim_date and
    # dim_product (normalised code) and return (reason, day, normalised code,
    # lines) where either side is missing, ordered by day and code, at most
    # `limit` groups.
    raise NotImplementedError("TODO(referential_integrity): write find_orphans")


def run(conn, days: list[date] | None = None) -> TransformReport:
    # TODO(referential_integrity): refresh the dimensions from all of bronze
    # before the fact, then the fact of the days in scope (None: all, []: none)
    # through joins to them.
    raise NotImplementedError("TODO(referential_integrity): write run")
