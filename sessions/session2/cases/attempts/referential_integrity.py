"""Attempts at referential_integrity (spoilers): what students hand in, and the verdict due."""
from collections import Counter

from failurelab.attempts import right, wrong
from sessions.session2 import runner
from sessions.session2.transform import TransformReport, ensure_partitions

DIMENSIONS = ["00_schema.sql", "01_dim_date.sql", "02_dim_product.sql"]
FACT_FILE = "03_fact_sales_daily.sql"


def _orphans(conn, sql, limit):
    with conn.cursor() as cur:
        cur.execute(sql, {"limit": limit})
        rows = cur.fetchall()
    conn.rollback()
    return rows


def _fact(conn, days):
    if days == []:
        return
    ensure_partitions(conn)
    scope = "" if days is None else ",".join(sorted({d.isoformat() for d in days}))
    runner.run_file(conn, runner.SQL_DIR / FACT_FILE, {"silver.days": scope})


ORPHANS = """
SELECT CASE WHEN d.full_date IS NULL THEN 'no dim_date row' ELSE 'no dim_product row' END,
       b.day, b.code, count(*)
FROM (SELECT invoice_date::date AS day, upper(btrim(stock_code)) AS code FROM bronze.raw_transactions
      WHERE silver.is_product_code(stock_code)) b
LEFT JOIN silver.dim_date d ON d.full_date = b.day
LEFT JOIN silver.dim_product p ON p.stock_code = b.code
WHERE d.full_date IS NULL OR p.stock_code IS NULL
GROUP BY 1, 2, 3 ORDER BY 2, 3 LIMIT %(limit)s"""


@right("NOT EXISTS instead of LEFT JOINs; the dimension files in a loop, the fact scope as a setting")
class NotExists:
    def find_orphans(conn, limit=20):
        return _orphans(conn, """
            SELECT CASE WHEN NOT EXISTS (SELECT FROM silver.dim_date d WHERE d.full_date = b.day)
                        THEN 'no dim_date row' ELSE 'no dim_product row' END AS reason,
                   b.day, b.code, count(*) AS lines
            FROM (SELECT invoice_date::date AS day, upper(btrim(stock_code)) AS code
                  FROM bronze.raw_transactions WHERE silver.is_product_code(stock_code)) b
            WHERE NOT EXISTS (SELECT FROM silver.dim_date d WHERE d.full_date = b.day)
               OR NOT EXISTS (SELECT FROM silver.dim_product p WHERE p.stock_code = b.code)
            GROUP BY reason, b.day, b.code
            ORDER BY b.day, b.code
            LIMIT %(limit)s""", limit)

    def run(conn, days=None):
        for name in DIMENSIONS:
            runner.run_file(conn, runner.SQL_DIR / name)
        _fact(conn, days)
        return TransformReport(days=None if days is None else sorted(set(days)))


@right("the dimensions' keys read into Python sets and the orphans counted with a Counter; "
       "the fact scope built from the dates by hand")
class InPython:
    def find_orphans(conn, limit=20):
        with conn.cursor() as cur:
            cur.execute("SELECT full_date FROM silver.dim_date")
            days = {d for d, in cur.fetchall()}
            cur.execute("SELECT stock_code FROM silver.dim_product")
            codes = {c for c, in cur.fetchall()}
            cur.execute("SELECT invoice_date::date, stock_code FROM bronze.raw_transactions "
                        "WHERE silver.is_product_code(stock_code)")
            found = Counter()
            for day, raw in cur.fetchall():
                code = raw.strip().upper()
                if day not in days:
                    found["no dim_date row", day, code] += 1
                elif code not in codes:
                    found["no dim_product row", day, code] += 1
        conn.rollback()
        groups = sorted(found.items(), key=lambda item: (item[0][1], item[0][2]))
        return [(reason, day, code, n) for (reason, day, code), n in groups][:limit]

    def run(conn, days=None):
        for name in DIMENSIONS:
            runner.run_file(conn, runner.SQL_DIR / name)
        if days is None or len(days) > 0:
            ensure_partitions(conn)
            settings = {"silver.days": ",".join(f"{d:%Y-%m-%d}" for d in days)} if days else None
            runner.run_file(conn, runner.SQL_DIR / FACT_FILE, settings)
        return TransformReport(days=days)


# --- wrong find_orphans ---------------------------------------------------------------------------

@wrong("an inner join to dim_product: a new product on a new day is in neither dimension and is never listed",
       caught_by="finds_orphans_then_loads")
class InnerJoinToTheProducts(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, ORPHANS.replace("LEFT JOIN silver.dim_product", "JOIN silver.dim_product"), limit)


@wrong("names the missing product first: a new product on a new day gets the reason 'no dim_product row'",
       caught_by="finds_orphans_then_loads")
class ProductReasonFirst(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, ORPHANS.replace(
            "CASE WHEN d.full_date IS NULL THEN 'no dim_date row' ELSE 'no dim_product row' END",
            "CASE WHEN p.stock_code IS NULL THEN 'no dim_product row' ELSE 'no dim_date row' END"), limit)


@wrong("returns the invoice time truncated to the day (a datetime), not the date",
       caught_by="finds_orphans_then_loads")
class DayAsATimestamp(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, ORPHANS.replace("SELECT invoice_date::date AS day",
                                              "SELECT date_trunc('day', invoice_date) AS day")
                        .replace("d.full_date = b.day", "d.full_date = b.day::date"), limit)


@wrong("joins dim_product on the raw code: 85123a (lower case) is reported though 85123A is there",
       caught_by="normalised_code_and_skip_non_products")
class RawCodeInTheJoin(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, ORPHANS.replace("upper(btrim(stock_code)) AS code", "stock_code AS code"), limit)


@wrong("joins on the normalised code but groups and reports the raw one: 23998b and 23998B come out twice",
       caught_by="normalised_code_and_skip_non_products")
class RawCodeReported(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, """
            SELECT CASE WHEN d.full_date IS NULL THEN 'no dim_date row' ELSE 'no dim_product row' END,
                   b.invoice_date::date, b.stock_code, count(*)
            FROM bronze.raw_transactions b
            LEFT JOIN silver.dim_date d ON d.full_date = b.invoice_date::date
            LEFT JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
            WHERE silver.is_product_code(b.stock_code) AND (d.full_date IS NULL OR p.stock_code IS NULL)
            GROUP BY 1, 2, 3 ORDER BY 2, 3 LIMIT %(limit)s""", limit)


@wrong("lists every code, postage and fees too: rows that never go into the fact are reported as orphans",
       caught_by="normalised_code_and_skip_non_products")
class NonProductsIncluded(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, ORPHANS.replace("WHERE silver.is_product_code(stock_code)", ""), limit)


@wrong("orders by reason first: the list no longer reads as a timeline", caught_by="ordered_by_day_and_code")
class OrderedByReason(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, ORPHANS.replace("ORDER BY 2, 3", "ORDER BY 1, 2, 3"), limit)


@wrong("limits the bronze rows before grouping: the groups and their line counts depend on the limit",
       caught_by="ordered_by_day_and_code")
class LimitOnRows(NotExists):
    def find_orphans(conn, limit=20):
        return _orphans(conn, """
            SELECT reason, day, code, count(*) FROM (
                SELECT CASE WHEN d.full_date IS NULL THEN 'no dim_date row' ELSE 'no dim_product row' END AS reason,
                       b.invoice_date::date AS day, upper(btrim(b.stock_code)) AS code
                FROM bronze.raw_transactions b
                LEFT JOIN silver.dim_date d ON d.full_date = b.invoice_date::date
                LEFT JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
                WHERE silver.is_product_code(b.stock_code) AND (d.full_date IS NULL OR p.stock_code IS NULL)
                ORDER BY 2, 3 LIMIT %(limit)s) AS rows
            GROUP BY 1, 2, 3 ORDER BY 2, 3""", limit)


@wrong("reads with a cursor and never ends the transaction: the caller's next run_file refuses the connection",
       caught_by="finds_orphans_then_loads")
class LeavesTheTransactionOpen(NotExists):
    def find_orphans(conn, limit=20):
        cur = conn.cursor()
        cur.execute(ORPHANS, {"limit": limit})
        return cur.fetchall()


# --- wrong runs -----------------------------------------------------------------------------------

@wrong("refreshes only the fact for the days given, trusting yesterday's dimensions: today's new day is lost",
       caught_by="run_loads_a_new_day")
class FactOnly(NotExists):
    def run(conn, days=None):
        runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
        _fact(conn, days)
        return TransformReport(days=days)


@wrong("refreshes dim_product but not the calendar ('a day never changes'): a new day finds no date_key",
       caught_by="run_loads_a_new_day")
class CalendarNotRefreshed(NotExists):
    def run(conn, days=None):
        for name in ("00_schema.sql", "02_dim_product.sql"):
            runner.run_file(conn, runner.SQL_DIR / name)
        _fact(conn, days)
        return TransformReport(days=days)


@wrong("ignores days and rebuilds the whole fact every time: every row is rewritten for one new day",
       caught_by="refreshes_the_fact_of_the_days_given_only")
class IgnoresTheDays(NotExists):
    def run(conn, days=None):
        for name in DIMENSIONS:
            runner.run_file(conn, runner.SQL_DIR / name)
        _fact(conn, None)
        return TransformReport(days=days)


@wrong("passes an empty list as an empty setting, which the fact file reads as 'all days'",
       caught_by="refreshes_the_fact_of_the_days_given_only")
class EmptyScopeIsEveryDay(NotExists):
    def run(conn, days=None):
        for name in DIMENSIONS:
            runner.run_file(conn, runner.SQL_DIR / name)
        ensure_partitions(conn)
        runner.run_file(conn, runner.SQL_DIR / FACT_FILE,
                        {"silver.days": ",".join(d.isoformat() for d in days or [])})
        return TransformReport(days=days)


@wrong("refreshes the dimensions and the fact but makes no partition: the first day of a new month is refused",
       caught_by="run_loads_a_new_day")
class NoPartitions(NotExists):
    def run(conn, days=None):
        for name in DIMENSIONS:
            runner.run_file(conn, runner.SQL_DIR / name)
        if days != []:
            scope = "" if days is None else ",".join(d.isoformat() for d in days)
            runner.run_file(conn, runner.SQL_DIR / FACT_FILE, {"silver.days": scope})
        return TransformReport(days=days)


@wrong("returns an empty TransformReport(): its days are None ('all days') whatever days it was given",
       caught_by="run_loads_a_new_day")
class ReportWithoutDays(NotExists):
    def run(conn, days=None):
        NotExists.run(conn, days)
        return TransformReport()
