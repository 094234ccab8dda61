"""Attempts at partition_error (spoilers): what students hand in, and the verdict due."""
import calendar
from datetime import date

import psycopg2
from psycopg2 import sql

from failurelab.attempts import right, wrong

MONTHS = """SELECT generate_series(date_trunc('month', min(invoice_date)), max(invoice_date),
                                  interval '1 month')::date FROM bronze.raw_transactions"""


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _create_missing(conn, months, upper=_next):
    created = []
    with conn.cursor() as cur:
        for month in months:
            name = f"fact_sales_daily_y{month:%Y}m{month:%m}"
            cur.execute("SELECT to_regclass(%s)", (f"silver.{name}",))
            if cur.fetchone()[0] is None:
                cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                            f"FOR VALUES FROM ({month:%Y%m%d}) TO ({upper(month):%Y%m%d})")
                created.append(name)
    conn.commit()
    return created


@wrong("creates the partition of the newest month only: a batch spanning months, or a lost month, still fails",
       caught_by="every_missing_month")
class NewestMonthOnly:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT date_trunc('month', max(invoice_date))::date FROM bronze.raw_transactions")
            newest = cur.fetchone()[0]
        return _create_missing(conn, [newest])


@wrong("extends the partitions forward from the newest one: a month missing in the middle is never made",
       caught_by="every_missing_month")
class ForwardFromTheNewestPartition:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute("""SELECT max(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                           WHERE i.inhparent = 'silver.fact_sales_daily'::regclass""")
            newest = cur.fetchone()[0]
            cur.execute("SELECT min(invoice_date)::date, max(invoice_date)::date FROM bronze.raw_transactions")
            first, last = cur.fetchone()
        month = (_next(date(int(newest[-7:-3]), int(newest[-2:]), 1)) if newest
                 else first.replace(day=1))
        months = []
        while month <= last:
            months.append(month)
            month = _next(month)
        return _create_missing(conn, months)


@wrong("makes partitions only for months that have sales: the gap month 2012-02 is left without one",
       caught_by="every_missing_month")
class MonthsWithSalesOnly:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT DISTINCT date_trunc('month', invoice_date)::date FROM bronze.raw_transactions "
                        "ORDER BY 1")
            months = [m for m, in cur.fetchall()]
        return _create_missing(conn, months)


@wrong("generate_series from min(invoice_date) itself, not its month: when the last row's day and time come "
       "before the first's, the last month is skipped", caught_by="covers_the_last_month")
class SeriesFromTheFirstTimestamp:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute("""SELECT date_trunc('month', m)::date FROM generate_series(
                               (SELECT min(invoice_date) FROM bronze.raw_transactions),
                               (SELECT max(invoice_date) FROM bronze.raw_transactions),
                               interval '1 month') AS m""")
            months = [m for m, in cur.fetchall()]
        return _create_missing(conn, months)


@wrong("upper bound = the month's last day, but TO is exclusive: rows of the 31st find no partition",
       caught_by="first_and_last_day")
class UpperBoundIsTheLastDay:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute(MONTHS)
            months = [m for m, in cur.fetchall()]
        return _create_missing(conn, months, upper=lambda m: m.replace(day=calendar.monthrange(m.year, m.month)[1]))


@wrong("CREATE TABLE IF NOT EXISTS for every month and returns them all: the caller cannot tell what was new",
       caught_by="creates_the_missing_month_then_loads")
class IfNotExistsReturnsEveryMonth:
    def ensure_partitions(conn):
        names = []
        with conn.cursor() as cur:
            cur.execute(MONTHS)
            for month, in cur.fetchall():
                name = f"fact_sales_daily_y{month:%Y}m{month:%m}"
                cur.execute(f"CREATE TABLE IF NOT EXISTS silver.{name} PARTITION OF silver.fact_sales_daily "
                            f"FOR VALUES FROM ({month:%Y%m%d}) TO ({_next(month):%Y%m%d})")
                names.append(name)
        conn.commit()
        return names


@wrong("tries each CREATE and rolls back on DuplicateTable: the rollback also undoes the months created before",
       caught_by="every_missing_month")
class RollbackOnDuplicate:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute(MONTHS)
            months = [m for m, in cur.fetchall()]
        created = []
        for month in months:
            name = f"fact_sales_daily_y{month:%Y}m{month:%m}"
            try:
                with conn.cursor() as cur:
                    cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                                f"FOR VALUES FROM ({month:%Y%m%d}) TO ({_next(month):%Y%m%d})")
                created.append(name)
            except psycopg2.errors.DuplicateTable:
                conn.rollback()
        conn.commit()
        return created


@wrong("never commits: the partitions exist for this connection only, and vanish when it closes",
       caught_by="every_missing_month")
class NeverCommits:
    def ensure_partitions(conn):
        created = []
        with conn.cursor() as cur:
            cur.execute(MONTHS)
            for month, in cur.fetchall():
                name = f"fact_sales_daily_y{month:%Y}m{month:%m}"
                cur.execute("SELECT to_regclass(%s)", (f"silver.{name}",))
                if cur.fetchone()[0] is None:
                    cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                                f"FOR VALUES FROM ({month:%Y%m%d}) TO ({_next(month):%Y%m%d})")
                    created.append(name)
        return created


@wrong("names the month without its leading zero (y2012m1): not the name the stub and the other jobs expect",
       caught_by="creates_the_missing_month_then_loads")
class MonthWithoutLeadingZero:
    def ensure_partitions(conn):
        created = []
        with conn.cursor() as cur:
            cur.execute(MONTHS)
            for month, in cur.fetchall():
                name = f"fact_sales_daily_y{month.year}m{month.month}"
                cur.execute("SELECT to_regclass(%s)", (f"silver.{name}",))
                if cur.fetchone()[0] is None:
                    cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                                f"FOR VALUES FROM ({month:%Y%m%d}) TO ({_next(month):%Y%m%d})")
                    created.append(name)
        conn.commit()
        return created


@wrong("a DEFAULT partition catches every row: the load passes, the gap is hidden, no month is ever made",
       caught_by="creates_the_missing_month_then_loads")
class DefaultPartition:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('silver.fact_sales_daily_default')")
            if cur.fetchone()[0] is not None:
                conn.rollback()
                return []
            cur.execute("CREATE TABLE silver.fact_sales_daily_default PARTITION OF silver.fact_sales_daily DEFAULT")
        conn.commit()
        return ["fact_sales_daily_default"]


@wrong("commits only when it created something: with nothing to do it leaves its reads in an open transaction",
       caught_by="creates_the_missing_month_then_loads")
class CommitsOnlyWhenItCreated:
    def ensure_partitions(conn):
        created = []
        cur = conn.cursor()
        cur.execute(MONTHS)
        for month, in cur.fetchall():
            name = f"fact_sales_daily_y{month:%Y}m{month:%m}"
            cur.execute("SELECT to_regclass(%s)", (f"silver.{name}",))
            if cur.fetchone()[0] is None:
                cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                            f"FOR VALUES FROM ({month:%Y%m%d}) TO ({_next(month):%Y%m%d})")
                created.append(name)
        if created:
            conn.commit()
        return created


@right("months computed in Python, existing partitions read from pg_inherits, names quoted with psycopg2.sql")
class MonthsInPython:
    def ensure_partitions(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT min(invoice_date)::date, max(invoice_date)::date FROM bronze.raw_transactions")
            first, last = cur.fetchone()
            cur.execute("""SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                           WHERE i.inhparent = 'silver.fact_sales_daily'::regclass""")
            existing = {name for name, in cur.fetchall()}
            created = []
            month = first.replace(day=1)
            while month <= last:
                following = date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
                name = "fact_sales_daily_y%04dm%02d" % (month.year, month.month)
                if name not in existing:
                    cur.execute(sql.SQL("CREATE TABLE {} PARTITION OF silver.fact_sales_daily "
                                        "FOR VALUES FROM ({}) TO ({})").format(
                        sql.Identifier("silver", name), sql.Literal(int(month.strftime("%Y%m%d"))),
                        sql.Literal(int(following.strftime("%Y%m%d")))))
                    created.append(name)
                month = following
        conn.commit()
        return created


@right("tries each CREATE inside a savepoint and rolls back to it on DuplicateTable; months from generate_series")
class SavepointPerMonth:
    def ensure_partitions(conn):
        created = []
        with conn.cursor() as cur:
            cur.execute("""SELECT to_char(m, 'YYYY"m"MM'), to_char(m, 'YYYYMMDD'),
                                  to_char(m + interval '1 month', 'YYYYMMDD')
                           FROM generate_series((SELECT date_trunc('month', min(invoice_date))
                                                 FROM bronze.raw_transactions),
                                                (SELECT max(invoice_date) FROM bronze.raw_transactions),
                                                interval '1 month') AS m""")
            for suffix, low, high in cur.fetchall():
                name = f"fact_sales_daily_y{suffix}"
                cur.execute("SAVEPOINT month")
                try:
                    cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                                f"FOR VALUES FROM ({low}) TO ({high})")
                except psycopg2.errors.DuplicateTable:
                    cur.execute("ROLLBACK TO SAVEPOINT month")
                else:
                    cur.execute("RELEASE SAVEPOINT month")
                    created.append(name)
        conn.commit()
        return created


@wrong("upper bound = the first day + 100 (YYYYMM01 + 100): December's bound is 20111301, not 20120101",
       caught_by="builds_every_month_for_a_new_fact")
class UpperBoundPlusHundred:
    def ensure_partitions(conn):
        created = []
        with conn.cursor() as cur:
            cur.execute(MONTHS)
            for month, in cur.fetchall():
                name = f"fact_sales_daily_y{month:%Y}m{month:%m}"
                cur.execute("SELECT to_regclass(%s)", (f"silver.{name}",))
                if cur.fetchone()[0] is None:
                    low = int(f"{month:%Y%m}01")
                    cur.execute(f"CREATE TABLE silver.{name} PARTITION OF silver.fact_sales_daily "
                                f"FOR VALUES FROM ({low}) TO ({low + 100})")
                    created.append(name)
        conn.commit()
        return created
