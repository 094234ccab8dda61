"""Attempts at duplicate_primary_key (spoilers): what students hand in, and the verdict due."""
import psycopg2
from psycopg2.extras import execute_values

from failurelab.attempts import right, wrong
from sessions.session1.load import RAW_COLUMNS, REJECTED_COLUMNS, copy_frame

LOCK = "SELECT pg_advisory_xact_lock(hashtext(%s))"


def _one_transaction(conn, source_file, good, rejected, progress, *, delete_rejected=True, lock=True,
                     delete_where=True):
    """The usual shape; the wrong attempts switch one part off."""
    good = good.assign(source_file=source_file)
    rejected = rejected.assign(source_file=source_file)
    where = " WHERE source_file = %s" if delete_where else ""
    try:
        with conn.cursor() as cur:
            if lock:
                cur.execute(LOCK, (source_file,))
            cur.execute("DELETE FROM bronze.raw_transactions" + where, (source_file,) if delete_where else None)
            if delete_rejected:
                cur.execute("DELETE FROM bronze.rejected_rows" + where, (source_file,) if delete_where else None)
            loaded = copy_frame(cur, good, "bronze.raw_transactions", RAW_COLUMNS, progress)
            copy_frame(cur, rejected, "bronze.rejected_rows", REJECTED_COLUMNS)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return loaded


@wrong("deletes the file's rows but not its quarantine: the re-load meets its own rejected rows again",
       caught_by="twice_equals_once")
class KeepsTheOldQuarantine:
    def replace_source(conn, source_file, good, rejected, progress=None):
        return _one_transaction(conn, source_file, good, rejected, progress, delete_rejected=False)


@wrong("commits the DELETEs before the COPYs: a COPY that fails leaves the file with nothing loaded",
       caught_by="failure_half_way")
class DeleteAndCopyInTwoTransactions:
    def replace_source(conn, source_file, good, rejected, progress=None):
        with conn.cursor() as cur:
            cur.execute(LOCK, (source_file,))
            cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
            cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
        conn.commit()
        try:
            with conn.cursor() as cur:
                loaded = copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions",
                                    RAW_COLUMNS, progress)
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        return loaded


@wrong("one transaction per table: the rows are replaced and committed before the quarantine's COPY fails",
       caught_by="failure_half_way")
class OneTransactionPerTable:
    def replace_source(conn, source_file, good, rejected, progress=None):
        try:
            with conn.cursor() as cur:
                cur.execute(LOCK, (source_file,))
                cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
                loaded = copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions",
                                    RAW_COLUMNS, progress)
            conn.commit()
            with conn.cursor() as cur:
                cur.execute(LOCK, (source_file,))
                cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        return loaded


@wrong("DELETE without WHERE source_file: loading one file wipes every other file's rows",
       caught_by="only_its_own_rows")
class DeletesEverySource:
    def replace_source(conn, source_file, good, rejected, progress=None):
        return _one_transaction(conn, source_file, good, rejected, progress, delete_where=False)


@wrong("returns the rowcount of the last COPY, the quarantine's: 4 instead of 296", caught_by="twice_equals_once")
class ReturnsTheLastRowcount:
    def replace_source(conn, source_file, good, rejected, progress=None):
        try:
            with conn.cursor() as cur:
                cur.execute(LOCK, (source_file,))
                cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
                cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
                copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions", RAW_COLUMNS,
                           progress)
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
                loaded = cur.rowcount
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return loaded


@wrong("returns every row written, good + quarantined: the report's 'loaded' no longer reconciles",
       caught_by="twice_equals_once")
class CountsTheQuarantineAsLoaded:
    def replace_source(conn, source_file, good, rejected, progress=None):
        _one_transaction(conn, source_file, good, rejected, progress)
        return len(good) + len(rejected)


@wrong("upserts (INSERT ... ON CONFLICT DO UPDATE) instead of replacing: lines gone from a corrected file stay",
       caught_by="only_its_own_rows")
class UpsertInsteadOfReplace:
    def replace_source(conn, source_file, good, rejected, progress=None):
        columns = ", ".join(RAW_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in RAW_COLUMNS[2:])
        rows = good.assign(source_file=source_file)[RAW_COLUMNS].astype(object)
        rows = rows.where(rows.notna(), None).itertuples(index=False, name=None)
        bad = rejected.assign(source_file=source_file)[REJECTED_COLUMNS].itertuples(index=False, name=None)
        try:
            with conn.cursor() as cur:
                cur.execute(LOCK, (source_file,))
                execute_values(cur, f"INSERT INTO bronze.raw_transactions ({columns}) VALUES %s ON CONFLICT "
                                    f"(source_file, source_line) DO UPDATE SET {updates}", list(rows))
                execute_values(cur, "INSERT INTO bronze.rejected_rows (source_file, source_line, reason, raw) "
                                    "VALUES %s ON CONFLICT (source_file, source_line) DO UPDATE SET "
                                    "reason = EXCLUDED.reason, raw = EXCLUDED.raw", list(bad))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        if progress:
            progress(1.0)
        return len(good)


@wrong("no lock: a second load of the same file at the same time fails with UniqueViolation",
       caught_by="at_once_both_succeed")
class NoLockForConcurrentLoads:
    def replace_source(conn, source_file, good, rejected, progress=None):
        return _one_transaction(conn, source_file, good, rejected, progress, lock=False)


@wrong("catches the error, rolls back and returns 0: the job carries on as if the file had loaded",
       caught_by="failure_half_way")
class SwallowsTheError:
    def replace_source(conn, source_file, good, rejected, progress=None):
        try:
            return _one_transaction(conn, source_file, good, rejected, progress)
        except Exception as err:
            print(f"load of {source_file} failed: {err}")
            return 0


@wrong("re-raises without rolling back: the connection is left in an aborted transaction",
       caught_by="failure_half_way")
class NoRollbackOnError:
    def replace_source(conn, source_file, good, rejected, progress=None):
        with conn.cursor() as cur:
            cur.execute(LOCK, (source_file,))
            cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
            cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
            loaded = copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions", RAW_COLUMNS,
                                progress)
            copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
        conn.commit()
        return loaded


@wrong("rolls back only on psycopg2.Error: a Python error after the DELETEs leaves the transaction open, its "
       "locks held", caught_by="failure_half_way")
class RollsBackOnlyDatabaseErrors:
    def replace_source(conn, source_file, good, rejected, progress=None):
        try:
            with conn.cursor() as cur:
                cur.execute(LOCK, (source_file,))
                cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
                cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
                loaded = copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions",
                                    RAW_COLUMNS, progress)
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
            conn.commit()
        except psycopg2.Error:
            conn.rollback()
            raise
        return loaded


@wrong("locks on Python's hash(source_file): a per-process random key, so a second cron job does not wait",
       caught_by="at_once_both_succeed")
class LocksOnPythonHash:
    def replace_source(conn, source_file, good, rejected, progress=None):
        with conn:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (hash(source_file),))
                cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
                cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
                return copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions",
                                  RAW_COLUMNS, progress)


@wrong("pg_advisory_lock (a session lock) unlocked only after a commit: a failed load keeps the file locked, the "
       "next cron job waits forever", caught_by="failure_half_way")
class SessionAdvisoryLock:
    def replace_source(conn, source_file, good, rejected, progress=None):
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(hashtext(%s))", (source_file,))
                cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
                cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
                loaded = copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions",
                                    RAW_COLUMNS, progress)
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
            conn.commit()
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (source_file,))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return loaded


@wrong("ignores progress: the CLI shows nothing for a 500,000-row load", caught_by="twice_equals_once")
class IgnoresProgress:
    def replace_source(conn, source_file, good, rejected, progress=None):
        return _one_transaction(conn, source_file, good, rejected, None)


@right("`with conn:` for the transaction, LOCK TABLE for the concurrency, DELETE ... USING a VALUES list")
class WithConnAndTableLock:
    def replace_source(conn, source_file, good, rejected, progress=None):
        with conn:  # one transaction: commit at the end, roll back on any error
            with conn.cursor() as cur:
                cur.execute("LOCK TABLE bronze.raw_transactions, bronze.rejected_rows IN SHARE ROW EXCLUSIVE MODE")
                for table in ("bronze.raw_transactions", "bronze.rejected_rows"):
                    cur.execute(f"DELETE FROM {table} t USING (VALUES (%s)) AS f(name) WHERE t.source_file = f.name",
                                (source_file,))
                copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions", RAW_COLUMNS,
                           progress=progress)
                copy_frame(cur, rejected.assign(source_file=source_file), "bronze.rejected_rows", REJECTED_COLUMNS)
                cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
                return cur.fetchone()[0]
