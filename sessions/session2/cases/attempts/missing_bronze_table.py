"""Attempts at missing_bronze_table (spoilers): what students hand in, and the verdict due."""
import psycopg2

from failurelab.attempts import right, wrong
from sessions.session2.transform import MissingDependency


@wrong("a catch-all except raises MissingDependency but leaves the connection in an aborted transaction",
       caught_by="found_before_any_work")
class CatchAllLeavesTheTransactionAborted:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            try:
                cur.execute("SELECT count(*), current_database() FROM bronze.raw_transactions")
            except Exception:
                raise MissingDependency(f"bronze.raw_transactions does not exist in database {conn.info.dbname!r}: "
                                        "run session 1 first")
            rows, database = cur.fetchone()
        conn.rollback()
        if rows == 0:
            raise MissingDependency(f"bronze.raw_transactions in database {database!r} is empty: run session 1 first")
        return rows


@wrong("reads the catalog and counts, but never ends its transaction: the caller's next commit or check trips on it",
       caught_by="passes_and_counts")
class LeavesTheTransactionOpenOnSuccess:
    def check_dependencies(conn):
        cur = conn.cursor()
        cur.execute("SELECT to_regclass('bronze.raw_transactions') IS NOT NULL, current_database()")
        exists, database = cur.fetchone()
        if not exists:
            conn.rollback()
            raise MissingDependency(f"bronze.raw_transactions does not exist in database {database!r}: "
                                    "run session 1 first")
        cur.execute("SELECT count(*) FROM bronze.raw_transactions")
        rows = cur.fetchone()[0]
        if rows == 0:
            conn.rollback()
            raise MissingDependency(f"bronze.raw_transactions in database {database!r} is empty: run session 1 first")
        return rows


@wrong("the message says what is missing but not in which database: a wrong DB_NAME stays invisible",
       caught_by="found_before_any_work")
class MessageWithoutTheDatabase:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bronze.raw_transactions') IS NOT NULL")
            exists = cur.fetchone()[0]
            rows = 0
            if exists:
                cur.execute("SELECT count(*) FROM bronze.raw_transactions")
                rows = cur.fetchone()[0]
        conn.rollback()
        if not exists:
            raise MissingDependency("bronze.raw_transactions does not exist: run session 1 first")
        if not rows:
            raise MissingDependency("bronze.raw_transactions is empty: run session 1 first")
        return rows


@wrong("looks the table up by name only (information_schema, any schema): public.raw_transactions passes for bronze",
       caught_by="in_the_bronze_schema")
class TableNameInAnySchema:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_transactions'")
            found = cur.fetchone()[0] > 0
        conn.rollback()
        if not found:
            raise MissingDependency(f"bronze.raw_transactions does not exist in database {conn.info.dbname!r}: "
                                    "run session 1 first")
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM bronze.raw_transactions")
                rows = cur.fetchone()[0]
        finally:
            conn.rollback()
        if not rows:
            raise MissingDependency(f"bronze.raw_transactions in database {conn.info.dbname!r} is empty: "
                                    "run session 1 first")
        return rows


@wrong("checks that the table exists but not that it has rows: an empty bronze goes on to build an empty silver",
       caught_by="refuses_an_empty_bronze")
class ExistsIsEnough:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bronze.raw_transactions') IS NOT NULL, current_database()")
            exists, database = cur.fetchone()
            rows = 0
            if exists:
                cur.execute("SELECT count(*) FROM bronze.raw_transactions")
                rows = cur.fetchone()[0]
        conn.rollback()
        if not exists:
            raise MissingDependency(f"bronze.raw_transactions does not exist in database {database!r}: "
                                    "run session 1 first")
        return rows


@wrong("creates the silver schema before looking: the failed run leaves half a layer behind",
       caught_by="found_before_any_work")
class SchemaFirstThenCheck:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            cur.execute("CREATE SCHEMA IF NOT EXISTS silver")
            conn.commit()
            cur.execute("SELECT to_regclass('bronze.raw_transactions') IS NOT NULL, current_database()")
            exists, database = cur.fetchone()
            rows = 0
            if exists:
                cur.execute("SELECT count(*) FROM bronze.raw_transactions")
                rows = cur.fetchone()[0]
        conn.rollback()
        if not exists:
            raise MissingDependency(f"bronze.raw_transactions does not exist in database {database!r}: "
                                    "run session 1 first")
        if not rows:
            raise MissingDependency(f"bronze.raw_transactions in database {database!r} is empty: run session 1 first")
        return rows


@wrong("returns whether bronze has rows (True) instead of how many", caught_by="passes_and_counts")
class ReturnsABoolean:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bronze.raw_transactions') IS NOT NULL, current_database()")
            exists, database = cur.fetchone()
            has_rows = False
            if exists:
                cur.execute("SELECT EXISTS (SELECT FROM bronze.raw_transactions)")
                has_rows = cur.fetchone()[0]
        conn.rollback()
        if not exists:
            raise MissingDependency(f"bronze.raw_transactions does not exist in database {database!r}: "
                                    "run session 1 first")
        if not has_rows:
            raise MissingDependency(f"bronze.raw_transactions in database {database!r} is empty: run session 1 first")
        return has_rows


@right("tries the count and turns UndefinedTable into MissingDependency after a rollback; other wording")
class TryTheCountFirst:
    def check_dependencies(conn):
        database = conn.info.dbname
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM bronze.raw_transactions")
                rows = cur.fetchone()[0]
        except psycopg2.errors.UndefinedTable:
            conn.rollback()
            raise MissingDependency(f"no table bronze.raw_transactions in {database}; run session 1 first "
                                    "(python -m sessions.session1.ingest)") from None
        conn.rollback()
        if rows == 0:
            raise MissingDependency(f"bronze.raw_transactions in {database} is empty; run session 1 (its ingest) "
                                    "and try again")
        return rows


@right("information_schema filtered on the schema, current_database() in SQL, commit instead of rollback")
class InformationSchemaWithTheSchema:
    def check_dependencies(conn):
        with conn.cursor() as cur:
            cur.execute("""SELECT current_database(), EXISTS (SELECT FROM information_schema.tables
                           WHERE table_schema = 'bronze' AND table_name = 'raw_transactions')""")
            database, exists = cur.fetchone()
            if exists:
                cur.execute("SELECT count(*) FROM bronze.raw_transactions")
                rows = cur.fetchone()[0]
        conn.commit()
        if not exists:
            raise MissingDependency(f'database "{database}" has no bronze.raw_transactions: run session 1 first')
        if rows == 0:
            raise MissingDependency(f'bronze.raw_transactions is empty in database "{database}": '
                                    "run session 1 and load it")
        return rows
