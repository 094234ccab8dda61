"""Your fix for missing_dimension_data: dimensions first, then the fact, then reconcile.

Run: pytest --student sessions/session2 -k missing_dimension_data -s

What the tests check:

``reconcile(conn)``:
* the bronze rows that belong in the fact are those with
  ``silver.is_product_code(stock_code)``, decided on bronze itself: NOT through
  a join to dim_date or dim_product (a row such a join loses is exactly what
  must show up);
* the totals, for bronze's rows and for the fact: ``lines`` (bronze rows; the
  fact's ``bronze_lines``), ``sold_quantity``/``sold_revenue`` (not cancelled,
  quantity > 0; revenue = quantity * unit_price), ``cancelled_quantity``/
  ``cancelled_revenue`` (``is_cancellation``), ``adjusted_quantity``/
  ``adjusted_revenue`` (not cancelled, quantity <= 0);
* any total differs: raise ``sessions.session2.transform.ReconciliationError``
  whose message names each measure that differs, by the names above, with
  bronze's and the fact's value (e.g. ``lines bronze 1988 != fact 1985``; the
  wording around them is yours);
* all equal: return bronze's totals as a dict with those seven keys;
* leave no transaction open (``conn.info.transaction_status`` IDLE), also when
  you raise.

``run(conn, days=None)`` (``days`` may be ignored here: the tests call ``run(conn)``):
* run ``sessions/session2/sql`` in order: 00_schema.sql, 01_dim_date.sql,
  02_dim_product.sql, then the fact's month partitions
  (``transform.ensure_partitions``), then 03_fact_sales_daily.sql, EACH FILE IN
  ITS OWN TRANSACTION (``runner.run_file`` runs one file as one transaction):
  when the fact file fails, the dimension files stay committed, the previous
  fact stays as it was, and the error reaches the caller;
* then reconcile with YOUR ``reconcile`` above (a lost row raises
  ReconciliationError out of ``run``);
* return a ``TransformReport`` with ``bronze_rows`` (all rows of bronze),
  ``fact_lines`` (bronze rows in the fact: reconcile's ``lines``) and
  ``excluded_lines`` (the other rows: non-product codes); commit, and leave no
  transaction open.
(Calling ``transform.run`` or ``transform.reconcile`` from your code does not count as a fix; the
pipeline's other parts, ``runner.run_file`` and ``transform.ensure_partitions``, are yours to use.)
"""
from __future__ import annotations

from datetime import date

from sessions.session2.transform import TransformReport


def run(conn, days: list[date] | None = None) -> TransformReport:
    # TODO(missing_dimension_data): run the SQL files of sessions/session2/sql in
    # order (schema, dim_date, dim_product, then the fact, after creating its
    # partitions), each in its own transaction, then reconcile (yours); return a
    # TransformReport with bronze_rows, fact_lines and excluded_lines filled in.
    raise NotImplementedError("TODO(missing_dimension_data): write run")


def reconcile(conn) -> dict[str, object]:
    # TODO(missing_dimension_data): sum lines, quantities and revenue of the
    # bronze rows that belong in the fact (decide that on bronze itself, with
    # silver.is_product_code, not through a join to the dimensions) and of the
    # fact; raise transform.ReconciliationError naming each measure that differs
    # with both values; else return bronze's totals. Leave no transaction open.
    raise NotImplementedError("TODO(missing_dimension_data): write reconcile")
