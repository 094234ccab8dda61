"""Session 2: bronze → silver star schema (dim_date, dim_product, fact_sales_daily).

    python -m sessions.session2.transform [--days 2011-12-09 ...]   # reads DB_* like session 1

``run(conn)`` checks its dependencies, parses every SQL file, then runs them in
order, each in its own transaction, and reconciles the fact with bronze.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import date

import psycopg2

from sessions.session1 import config
from sessions.session2.runner import SQL_DIR, SqlFileError, TransformError, check_sql, require_idle, run_file

__all__ = ["run", "TransformReport", "TransformError", "SqlFileError", "MissingDependency",
           "ReconciliationError", "check_dependencies", "ensure_partitions", "reconcile", "find_orphans"]
FILES = ["00_schema.sql", "01_dim_date.sql", "02_dim_product.sql", "03_fact_sales_daily.sql"]


class MissingDependency(TransformError):
    """What the transform reads is not there: an earlier session has not run."""


class ReconciliationError(TransformError):
    """The fact's totals differ from bronze's: rows were lost or counted twice."""


@dataclass
class TransformReport:
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds
    days: list[date] | None = None                           # None: all of bronze
    bronze_rows: int = 0
    fact_lines: int = 0          # bronze rows summed into the fact
    excluded_lines: int = 0      # bronze rows of non-product codes (POST, M, …), kept out on purpose
    fact_rows: int = 0
    products: int = 0
    non_products: int = 0
    dates: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        scope = "all days" if self.days is None else f"{len(self.days)} day(s)"
        return (f"transform ({scope}) in {self.seconds:.2f} s: {self.bronze_rows:,} bronze rows = "
                f"{self.fact_lines:,} in the fact + {self.excluded_lines:,} non-product; "
                f"fact_sales_daily {self.fact_rows:,} rows, dim_product {self.products:,} products + "
                f"{self.non_products:,} non-product codes, dim_date {self.dates:,} days; reconciled")


def check_dependencies(conn) -> int:
    """Fail before any work unless bronze.raw_transactions exists and has rows; return its rows."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('bronze.raw_transactions') IS NOT NULL, current_database()")
        exists, database = cur.fetchone()
        rows = 0
        if exists:
            cur.execute("SELECT count(*) FROM bronze.raw_transactions")
            rows = cur.fetchone()[0]
    conn.rollback()
    if not exists:
        raise MissingDependency(
            f"bronze.raw_transactions does not exist in database {database!r}: run session 1 first "
            "(its ingest creates and loads bronze), or check DB_NAME points at the right database")
    if rows == 0:
        raise MissingDependency(f"bronze.raw_transactions in database {database!r} is empty: "
                                "run session 1's ingest first")
    return rows


def ensure_partitions(conn) -> list[str]:
    """Create the monthly fact partitions bronze's dates need (one transaction); return new ones."""
    created = []
    with conn.cursor() as cur:
        cur.execute("""SELECT to_char(m, 'YYYY'), to_char(m, 'MM'), to_char(m, 'YYYYMMDD'),
                              to_char(m + interval '1 month', 'YYYYMMDD')
                       FROM (SELECT generate_series(date_trunc('month', min(invoice_date)),
                                                    max(invoice_date), interval '1 month') AS m
                             FROM bronze.raw_transactions) AS months""")
        for year, month, low, high in cur.fetchall():
            name = f"fact_sales_daily_y{year}m{month}"
            cur.execute("SELECT to_regclass(%s) IS NULL", (f"silver.{name}",))
            if cur.fetchone()[0]:
                cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                            f"FOR VALUES FROM ({low}) TO ({high})")
                created.append(name)
    conn.commit()
    return created


_TOTALS = """count(*), coalesce(sum(quantity) FILTER (WHERE sale), 0), coalesce(sum(revenue) FILTER (WHERE sale), 0),
    coalesce(sum(quantity) FILTER (WHERE is_cancellation), 0), coalesce(sum(revenue) FILTER (WHERE is_cancellation), 0),
    coalesce(sum(quantity) FILTER (WHERE adjustment), 0), coalesce(sum(revenue) FILTER (WHERE adjustment), 0)"""
_NAMES = ["lines", "sold_quantity", "sold_revenue", "cancelled_quantity", "cancelled_revenue",
          "adjusted_quantity", "adjusted_revenue"]


def reconcile(conn) -> dict[str, object]:
    """Compare the fact's totals with bronze's rows that belong in it; raise when they differ.

    "Belong" is decided on bronze itself (silver.is_product_code), not through
    the dimensions: a row that a join lost must show up as a difference.
    """
    with conn.cursor() as cur:
        cur.execute(f"""SELECT {_TOTALS} FROM (
            SELECT quantity, quantity * unit_price AS revenue, is_cancellation,
                   NOT is_cancellation AND quantity > 0 AS sale, NOT is_cancellation AND quantity <= 0 AS adjustment
            FROM bronze.raw_transactions WHERE silver.is_product_code(btrim(stock_code))) AS b""")
        bronze = dict(zip(_NAMES, cur.fetchone()))
        cur.execute("""SELECT coalesce(sum(bronze_lines), 0), coalesce(sum(sold_quantity), 0), coalesce(sum(sold_revenue), 0),
                              coalesce(sum(cancelled_quantity), 0), coalesce(sum(cancelled_revenue), 0),
                              coalesce(sum(adjusted_quantity), 0), coalesce(sum(adjusted_revenue), 0)
                       FROM silver.fact_sales_daily""")
        fact = dict(zip(_NAMES, cur.fetchone()))
    conn.rollback()
    differ = {k: (bronze[k], fact[k]) for k in _NAMES if bronze[k] != fact[k]}
    if differ:
        raise ReconciliationError("fact_sales_daily does not reconcile with bronze: " + "; ".join(
            f"{k} bronze {b} != fact {f}" for k, (b, f) in differ.items())
            + ". Look for orphans (transform.find_orphans) and re-run the transform.")
    return bronze


def find_orphans(conn, limit: int = 20) -> list[tuple]:
    """Bronze product rows whose day or product is missing from the dimensions: (reason, day, code, lines)."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT CASE WHEN d.date_key IS NULL THEN 'no dim_date row' ELSE 'no dim_product row' END,
                   b.invoice_date::date, upper(btrim(b.stock_code)), count(*)
            FROM bronze.raw_transactions b
            LEFT JOIN silver.dim_date d ON d.full_date = b.invoice_date::date
            LEFT JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
            WHERE silver.is_product_code(btrim(b.stock_code)) AND (d.date_key IS NULL OR p.product_key IS NULL)
            GROUP BY 1, 2, 3 ORDER BY 2, 3 LIMIT %s""", (limit,))
        found = cur.fetchall()
    conn.rollback()
    return found


def run(conn, days: list[date] | None = None) -> TransformReport:
    """Build or refresh silver from all of bronze; ``days`` limits the fact refresh to those days ([]: none).

    Dependency check, then every file parsed, then each step in its own
    transaction (a failing one rolls back alone and raises SqlFileError naming
    file, statement and line), then reconciliation (ReconciliationError).
    Idempotent: running it again changes nothing. Commits; leaves autocommit as it was.
    """
    report = TransformReport(days=sorted(set(days)) if days is not None else None)
    started = time.perf_counter()
    require_idle(conn)
    autocommit, conn.autocommit = conn.autocommit, False
    try:
        report.bronze_rows = check_dependencies(conn)
        for name in FILES:
            check_sql(conn, SQL_DIR / name)
        scope = {"silver.days": ",".join(d.isoformat() for d in report.days) if report.days is not None else ""}
        for name in FILES:
            if name.startswith("03") and report.days == []:
                continue  # no day to refresh (an empty scope would read as "all days" in SQL)
            if name.startswith("03"):  # the fact needs its month partitions first
                tick = time.perf_counter()
                ensure_partitions(conn)
                report.steps["partitions"] = time.perf_counter() - tick
            tick = time.perf_counter()
            run_file(conn, SQL_DIR / name, scope)
            report.steps[name] = time.perf_counter() - tick
        tick = time.perf_counter()
        totals = reconcile(conn)
        report.steps["reconcile"] = time.perf_counter() - tick
        report.fact_lines = totals["lines"]
        report.excluded_lines = report.bronze_rows - report.fact_lines
        with conn.cursor() as cur:
            cur.execute("""SELECT (SELECT count(*) FROM silver.fact_sales_daily),
                                  (SELECT count(*) FILTER (WHERE is_product) FROM silver.dim_product),
                                  (SELECT count(*) FILTER (WHERE NOT is_product) FROM silver.dim_product),
                                  (SELECT count(*) FROM silver.dim_date)""")
            report.fact_rows, report.products, report.non_products, report.dates = cur.fetchone()
        conn.rollback()
    finally:
        conn.autocommit = autocommit
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sessions.session2.transform",
                                     description="bronze → silver star schema (DB_* settings as in session 1)")
    parser.add_argument("--days", nargs="+", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="refresh the fact for these days only (the dimensions always see all of bronze)")
    args = parser.parse_args(argv)
    try:
        conn = config.connect_with_retry(config.load_config_or_local())  # no DB_*: the local server
        with conn.cursor() as cur:  # pg_stat_activity then names this job, not session 1's loader
            cur.execute("SET application_name = 'failurelab-session2'")
        conn.commit()
    except (config.ConfigError, psycopg2.Error) as err:
        print(f"transform failed: {type(err).__name__}: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    try:
        report = run(conn, args.days)
    except TransformError as err:
        print(f"transform failed: {err}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    print(report.summary())
    for step, seconds in report.steps.items():
        print(f"  {step:<28}{seconds:>7.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
