"""Attempts at missing_dimension_data (spoilers): what students hand in, and the verdict due."""
import logging

from failurelab.attempts import right, wrong
from sessions.session2 import runner
from sessions.session2.transform import ReconciliationError, TransformReport, ensure_partitions

NAMES = ["lines", "sold_quantity", "sold_revenue", "cancelled_quantity", "cancelled_revenue",
         "adjusted_quantity", "adjusted_revenue"]
KINDS = """count(*),
    coalesce(sum(quantity) FILTER (WHERE NOT is_cancellation AND quantity > 0), 0),
    coalesce(sum(quantity * unit_price) FILTER (WHERE NOT is_cancellation AND quantity > 0), 0),
    coalesce(sum(quantity) FILTER (WHERE is_cancellation), 0),
    coalesce(sum(quantity * unit_price) FILTER (WHERE is_cancellation), 0),
    coalesce(sum(quantity) FILTER (WHERE NOT is_cancellation AND quantity <= 0), 0),
    coalesce(sum(quantity * unit_price) FILTER (WHERE NOT is_cancellation AND quantity <= 0), 0)"""
BRONZE = f"SELECT {KINDS} FROM bronze.raw_transactions WHERE silver.is_product_code(stock_code)"
FACT = """SELECT coalesce(sum(bronze_lines), 0), coalesce(sum(sold_quantity), 0), coalesce(sum(sold_revenue), 0),
                 coalesce(sum(cancelled_quantity), 0), coalesce(sum(cancelled_revenue), 0),
                 coalesce(sum(adjusted_quantity), 0), coalesce(sum(adjusted_revenue), 0)
          FROM silver.fact_sales_daily"""
FILES = ["00_schema.sql", "01_dim_date.sql", "02_dim_product.sql", "03_fact_sales_daily.sql"]


def _totals(conn, bronze_sql=BRONZE):
    with conn.cursor() as cur:
        cur.execute(bronze_sql)
        bronze = dict(zip(NAMES, cur.fetchone()))
        cur.execute(FACT)
        fact = dict(zip(NAMES, cur.fetchone()))
    conn.rollback()
    return bronze, fact


def _compare(bronze, fact):
    differ = [f"{name}: bronze={bronze[name]} fact={fact[name]}" for name in NAMES if bronze[name] != fact[name]]
    if differ:
        raise ReconciliationError(f"{len(differ)} measure(s) of silver.fact_sales_daily differ from bronze — "
                                  + "; ".join(differ))
    return bronze


def _bronze_rows(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.raw_transactions")
        rows = cur.fetchone()[0]
    conn.rollback()
    return rows


@right("run_file per file, ensure_partitions before the fact; reconcile in Python with its own wording")
class FileByFile:
    def run(conn, days=None):
        for name in FILES:
            if name.startswith("03"):
                ensure_partitions(conn)
            runner.run_file(conn, runner.SQL_DIR / name)
        totals = FileByFile.reconcile(conn)
        rows = _bronze_rows(conn)
        return TransformReport(days=days, bronze_rows=rows, fact_lines=totals["lines"],
                               excluded_lines=rows - totals["lines"])

    def reconcile(conn):
        return _compare(*_totals(conn))


@right("each file's whole text in one execute and a commit; reconcile as one query of (measure, bronze, fact) rows")
class WholeFileAndOneQuery:
    def run(conn, days=None):
        with conn.cursor() as cur:
            for name in FILES:
                if name.startswith("03"):
                    ensure_partitions(conn)
                try:
                    cur.execute((runner.SQL_DIR / name).read_text())
                    conn.commit()
                except Exception:
                    conn.rollback()
                    raise
            cur.execute("SELECT count(*), count(*) FILTER (WHERE silver.is_product_code(stock_code)) "
                        "FROM bronze.raw_transactions")
            rows, products = cur.fetchone()
        conn.rollback()
        WholeFileAndOneQuery.reconcile(conn)
        return TransformReport(bronze_rows=rows, fact_lines=products, excluded_lines=rows - products)

    def reconcile(conn):
        with conn.cursor() as cur:
            cur.execute(f"""
                WITH b(l, sq, sr, cq, cr, aq, ar) AS ({BRONZE}),
                     f(l, sq, sr, cq, cr, aq, ar) AS ({FACT})
                SELECT m.* FROM b, f, LATERAL (VALUES
                    ('lines', b.l::numeric, f.l::numeric), ('sold_quantity', b.sq, f.sq),
                    ('sold_revenue', b.sr, f.sr), ('cancelled_quantity', b.cq, f.cq),
                    ('cancelled_revenue', b.cr, f.cr), ('adjusted_quantity', b.aq, f.aq),
                    ('adjusted_revenue', b.ar, f.ar)) AS m(name, bronze, fact)""")
            rows = cur.fetchall()
        conn.rollback()
        off = [f"{name} (bronze {b}, fact {f})" for name, b, f in rows if b != f]
        if off:
            raise ReconciliationError("fact and bronze disagree on " + ", ".join(off))
        return {name: b for name, b, _ in rows}


# --- wrong runs -------------------------------------------------------------------------------

@wrong("loads the fact before the dimensions: today's new day and product find no key and are dropped",
       caught_by="loads_dimensions_first_and_keeps_every_line")
class FactBeforeDimensions(FileByFile):
    def run(conn, days=None):
        runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
        ensure_partitions(conn)
        for name in ("03_fact_sales_daily.sql", "01_dim_date.sql", "02_dim_product.sql"):
            runner.run_file(conn, runner.SQL_DIR / name)
        totals = FileByFile.reconcile(conn)
        rows = _bronze_rows(conn)
        return TransformReport(bronze_rows=rows, fact_lines=totals["lines"], excluded_lines=rows - totals["lines"])


@wrong("runs the files in order but never reconciles: rows an inner join loses vanish without a word",
       caught_by="run_fails_loudly_when_a_join_loses_rows")
class NoReconciliation(FileByFile):
    def run(conn, days=None):
        for name in FILES:
            if name.startswith("03"):
                ensure_partitions(conn)
            runner.run_file(conn, runner.SQL_DIR / name)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), (SELECT coalesce(sum(bronze_lines), 0) FROM silver.fact_sales_daily) "
                        "FROM bronze.raw_transactions")
            rows, lines = cur.fetchone()
        conn.rollback()
        return TransformReport(bronze_rows=rows, fact_lines=lines, excluded_lines=rows - lines)


@wrong("no partitions before the fact: the first batch of a new month is refused by the fact file",
       caught_by="loads_dimensions_first_and_keeps_every_line")
class NoPartitions(FileByFile):
    def run(conn, days=None):
        for name in FILES:
            runner.run_file(conn, runner.SQL_DIR / name)
        totals = FileByFile.reconcile(conn)
        rows = _bronze_rows(conn)
        return TransformReport(bronze_rows=rows, fact_lines=totals["lines"], excluded_lines=rows - totals["lines"])


@wrong("all files in one transaction: a failing fact file also rolls back the dimensions it was right about",
       caught_by="a_failing_fact_file_keeps_the_dimensions")
class OneTransactionForAll(FileByFile):
    def run(conn, days=None):
        runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")  # the partitions need the table
        ensure_partitions(conn)
        try:
            with conn.cursor() as cur:
                for name in FILES[1:]:
                    for st in runner.split((runner.SQL_DIR / name).read_text()):
                        cur.execute(st.text)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        totals = FileByFile.reconcile(conn)
        rows = _bronze_rows(conn)
        return TransformReport(bronze_rows=rows, fact_lines=totals["lines"], excluded_lines=rows - totals["lines"])


@wrong("the report counts every bronze row as a fact line: postage and fees seem to be in the fact",
       caught_by="loads_dimensions_first_and_keeps_every_line")
class ReportWithoutExclusions(FileByFile):
    def run(conn, days=None):
        for name in FILES:
            if name.startswith("03"):
                ensure_partitions(conn)
            runner.run_file(conn, runner.SQL_DIR / name)
        FileByFile.reconcile(conn)
        rows = _bronze_rows(conn)
        return TransformReport(bronze_rows=rows, fact_lines=rows, excluded_lines=0)


@wrong("logs a failing file and carries on: the run ends in a ReconciliationError that hides the real error",
       caught_by="a_failing_fact_file_keeps_the_dimensions")
class CarriesOnAfterAFailedFile(FileByFile):
    def run(conn, days=None):
        for name in FILES:
            if name.startswith("03"):
                ensure_partitions(conn)
            try:
                runner.run_file(conn, runner.SQL_DIR / name)
            except runner.SqlFileError as err:
                logging.getLogger(__name__).error("skipped %s: %s", name, err)
        totals = FileByFile.reconcile(conn)
        rows = _bronze_rows(conn)
        return TransformReport(bronze_rows=rows, fact_lines=totals["lines"], excluded_lines=rows - totals["lines"])


# --- wrong reconciliations --------------------------------------------------------------------

@wrong("reconciles through the dimension joins: the rows the fact's joins lose are lost on bronze's side too",
       caught_by="decides_on_bronze_not_through_the_joins")
class ThroughTheDimensionJoins(FileByFile):
    def reconcile(conn):
        joined = BRONZE.replace("FROM bronze.raw_transactions WHERE silver.is_product_code(stock_code)", """
            FROM bronze.raw_transactions b
            JOIN silver.dim_date d ON d.full_date = b.invoice_date::date
            JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
            WHERE p.is_product""")
        return _compare(*_totals(conn, joined))


@wrong("decides what is a product through dim_product (is_product): a product it does not know yet is not counted",
       caught_by="decides_on_bronze_not_through_the_joins")
class ProductsFromTheDimension(FileByFile):
    def reconcile(conn):
        joined = BRONZE.replace("FROM bronze.raw_transactions WHERE silver.is_product_code(stock_code)", """
            FROM bronze.raw_transactions b JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
            WHERE p.is_product""")
        return _compare(*_totals(conn, joined))


@wrong("compares only the number of lines: a wrong quantity or revenue passes",
       caught_by="checks_every_measure")
class LinesOnly(FileByFile):
    def reconcile(conn):
        bronze, fact = _totals(conn)
        if bronze["lines"] != fact["lines"]:
            raise ReconciliationError(f"lines bronze {bronze['lines']} != fact {fact['lines']}")
        return bronze


@wrong("raises at the first measure that differs: the message names only that one, not each measure that differs",
       caught_by="names_every_measure_that_differs")
class FirstDifferenceOnly(FileByFile):
    def reconcile(conn):
        bronze, fact = _totals(conn)
        for name in NAMES:
            if bronze[name] != fact[name]:
                raise ReconciliationError(f"fact_sales_daily does not reconcile: {name} bronze {bronze[name]} "
                                          f"!= fact {fact[name]}")
        return bronze


@wrong("counts every bronze row, postage and fees too: a correct fact never reconciles",
       caught_by="passes_a_correct_fact")
class EveryBronzeRow(FileByFile):
    def reconcile(conn):
        return _compare(*_totals(conn, f"SELECT {KINDS} FROM bronze.raw_transactions"))


@wrong("returns the differences instead of raising: nobody reads them, the run goes on",
       caught_by="fails_loudly_on_a_lost_row")
class ReturnsTheDifferences(FileByFile):
    def reconcile(conn):
        bronze, fact = _totals(conn)
        return {name: (bronze[name], fact[name]) for name in NAMES if bronze[name] != fact[name]} or bronze


@wrong("asserts the totals are equal: an AssertionError (gone under python -O) instead of ReconciliationError",
       caught_by="fails_loudly_on_a_lost_row")
class AssertsEqual(FileByFile):
    def reconcile(conn):
        bronze, fact = _totals(conn)
        assert bronze == fact, f"fact does not reconcile: {bronze} != {fact}"
        return bronze


@wrong("says that the fact does not reconcile, not which measure nor by how much",
       caught_by="fails_loudly_on_a_lost_row")
class MessageWithoutTheNumbers(FileByFile):
    def reconcile(conn):
        bronze, fact = _totals(conn)
        if bronze != fact:
            raise ReconciliationError("fact_sales_daily does not reconcile with bronze: re-run the transform")
        return bronze


@wrong("reads the totals and never ends its transaction: the next run_file refuses the connection",
       caught_by="passes_a_correct_fact")
class LeavesTheTransactionOpen(FileByFile):
    def reconcile(conn):
        cur = conn.cursor()
        cur.execute(BRONZE)
        bronze = dict(zip(NAMES, cur.fetchone()))
        cur.execute(FACT)
        fact = dict(zip(NAMES, cur.fetchone()))
        if bronze != fact:
            conn.rollback()
        return _compare(bronze, fact)
