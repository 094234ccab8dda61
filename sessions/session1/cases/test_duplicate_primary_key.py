"""Duplicate primary key on a re-run.

Scenario:
    The ingest job loads a file, then runs again on the same file: a retry
    after a later step failed, a cron job started twice, someone re-running it
    "to be sure".
Why:
    The naive load only appends. The second run inserts every line again, and
    the primary key (source_file, source_line) refuses the first repeated line
    with UniqueViolation (SQLSTATE 23505) "duplicate key value violates unique
    constraint". Without that key it would be worse: every row silently doubled,
    and revenue with it. A load that cannot be re-run cannot be retried.
Fix:
    Make the load idempotent per source file: in ONE transaction, delete what
    that file loaded before (rows and quarantine) and COPY the new rows. Twice
    equals once, row for row, and a crash half-way leaves the previous state.
    A lock on the file, taken first, makes a second load started meanwhile
    wait for the first instead of failing.
Hints:
    - What is the unit a re-run replaces? Find the column both bronze tables
      share that says where a row came from.
    - Imagine the COPY failing right after the DELETE: what did the other
      connections see in between, and what is left? Where does the COMMIT go?
    - Two runs of one file at the same time: which lock makes the second one
      wait, and lets go by itself at COMMIT or ROLLBACK?
"""
import threading
import time

import pandas as pd
import psycopg2
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from failurelab.expect import must_raise
from sessions.session1 import cleaning, load

pytestmark = pytest.mark.failure_case("business_logic", fix=load.replace_source)

SNAPSHOT = ("SELECT source_file, source_line, invoice_no, stock_code, description, quantity, invoice_date, unit_price, "
            "customer_id, country, is_cancellation, is_duplicate FROM bronze.raw_transactions ORDER BY 1, 2")


FILE, OTHER = "online_retail.csv", "other.csv"
STATUS = {1: "running a statement", 2: "inside an open transaction", 3: "in a failed transaction (not rolled back)"}


def snapshot(conn, source_file=None):
    """(rows, quarantine) of one source file or of all, in key order; read in a transaction of its own."""
    where = "" if source_file is None else " WHERE source_file = %(f)s"
    with conn.cursor() as cur:
        cur.execute(SNAPSHOT.replace(" ORDER BY", where + " ORDER BY"), {"f": source_file})
        rows = cur.fetchall()
        cur.execute(f"SELECT source_file, source_line, reason, raw FROM bronze.rejected_rows{where} ORDER BY 1, 2",
                    {"f": source_file})
        quarantine = cur.fetchall()
    conn.rollback()
    return rows, quarantine


def committed(db, source_file=None):
    """What another connection sees: only committed work."""
    other = db.connect()
    try:
        return snapshot(other, source_file)
    finally:
        other.close()


def counts(state):
    return f"{len(state[0])} rows and {len(state[1])} quarantined"


def with_bad_prices(frame, positions):
    """The frame with a price no product has at these positions: cleaning quarantines those rows."""
    frame = frame.copy()
    frame.loc[frame.index[positions], "UnitPrice"] = -11062.06
    return frame


def naive_load(conn, good, source_file):
    with conn.cursor() as cur:  # append only: nothing about what this file loaded before
        load.copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions", load.RAW_COLUMNS)
    conn.commit()


@pytest.fixture
def cleaned(conn, sample_frame):
    """300 lines of which 4 are quarantined (price_out_of_range): rows AND quarantine to replace."""
    load.create_schema(conn)
    result = cleaning.clean(with_bad_prices(sample_frame.head(300), [3, 50, 120, 250]))
    assert (len(result.good), len(result.rejected)) == (296, 4), "the fixture should give 296 good and 4 rejected"
    return result


@pytest.fixture
def other(sample_frame):
    """Another file's 50 lines, 2 of them quarantined."""
    return cleaning.clean(with_bad_prices(sample_frame.tail(50), [0, 10]))


def test_wrong_duplicate_primary_key_a_second_naive_load_is_refused(conn, cleaned, failure):
    naive_load(conn, cleaned.good, "online_retail.csv")
    with failure.expect(psycopg2.errors.UniqueViolation, pgcode="23505",
                        match=r'duplicate key value violates unique constraint "raw_transactions_pkey"'):
        naive_load(conn, cleaned.good, "online_retail.csv")


def test_right_duplicate_primary_key_twice_equals_once_row_for_row(db, conn, cleaned, solution):
    shares = []
    for run in ("first", "second"):
        try:
            loaded = solution.replace_source(conn, FILE, cleaned.good, cleaned.rejected, shares.append)
        except psycopg2.errors.UniqueViolation as err:
            pytest.fail(f"the {run} load of the same file was refused: {' '.join(str(err).split())}. Delete what "
                        "this source_file loaded before, its rows AND its quarantine (bronze.rejected_rows), in the "
                        "same transaction as the COPYs", pytrace=False)
        assert loaded == len(cleaned.good), (
            f"the {run} load should return {len(cleaned.good)}, the number of rows loaded into "
            f"bronze.raw_transactions (not counting the {len(cleaned.rejected)} quarantined); it returned {loaded!r}")
        state = committed(db)
        if run == "first":
            once = state
        assert (len(state[0]), len(state[1])) == (len(cleaned.good), len(cleaned.rejected)), (
            f"after the {run} load another connection should see {len(cleaned.good)} rows and "
            f"{len(cleaned.rejected)} quarantined (committed); it sees {counts(state)}")
    assert state == once, ("loading the same file twice should leave exactly what loading it once left, row for row, "
                           "in bronze.raw_transactions and bronze.rejected_rows")
    assert shares and shares[-1] == 1.0, (
        f"progress should be reported while the rows load, ending at 1.0 (pass it on to copy_frame for the good "
        f"rows); your fix reported {shares[-5:]}")


def test_right_duplicate_primary_key_a_corrected_file_replaces_only_its_own_rows(db, conn, cleaned, other, solution):
    solution.replace_source(conn, OTHER, other.good, other.rejected)
    others = committed(db, OTHER)
    solution.replace_source(conn, FILE, cleaned.good, cleaned.rejected)
    loaded = solution.replace_source(conn, FILE, cleaned.good.head(10), cleaned.rejected.head(1))
    assert loaded == 10, f"the corrected file has 10 good rows: return 10, not {loaded!r}"
    state = committed(db, FILE)
    assert (len(state[0]), len(state[1])) == (10, 1), (
        f"a corrected {FILE} (10 rows, 1 quarantined) should replace ALL that {FILE} loaded before, rows and "
        f"quarantine; {FILE} now has {counts(state)}")
    assert committed(db, OTHER) == others, (
        f"loading {FILE} must not touch what {OTHER} loaded (its {counts(others)}): delete only this source_file's "
        f"rows; {OTHER} now has {counts(committed(db, OTHER))}")
    loaded = solution.replace_source(conn, FILE, cleaned.good.head(0), cleaned.rejected.head(0))
    state = committed(db, FILE)
    assert loaded == 0 and state == ([], []), (
        f"a version of {FILE} without rows should leave nothing of {FILE} and return 0; it returned {loaded!r} "
        f"and left {counts(state)}")


def lock_still_held(db) -> bool:
    """Does anything still hold the advisory lock on FILE? Asked from another connection, in a transaction rolled back."""
    observer = db.connect()
    try:
        with observer.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (FILE,))
            return not cur.fetchone()[0]
    finally:
        observer.rollback()
        observer.close()


@pytest.mark.parametrize("breaks", ["the quarantine", "the rows", "a Python error"])
def test_right_duplicate_primary_key_a_failure_half_way_keeps_the_previous_load(db, conn, cleaned, breaks, solution):
    solution.replace_source(conn, FILE, cleaned.good, cleaned.rejected)
    before = committed(db)
    if breaks == "the quarantine":  # fails after the DELETEs and the rows' COPY: jsonb refuses the value
        good, rejected = cleaned.good.head(5), pd.DataFrame({"source_line": [1], "reason": ["price_out_of_range"],
                                                             "raw": ["{cut short"]})
    elif breaks == "the rows":  # fails in the rows' COPY: line 0 breaks CHECK (source_line > 0)
        good, rejected = cleaned.good.head(5).assign(source_line=0), cleaned.rejected.head(1)
    else:  # a Python error, not the database's: a quarantine frame without its raw column (KeyError in copy_frame)
        good, rejected = cleaned.good.head(5), cleaned.rejected.head(1).drop(columns="raw")
    failed = "in the COPY of " + breaks if breaks != "a Python error" else (
        "with a Python error, not a database one (a KeyError: the quarantine frame given lacks its raw column)")
    with must_raise(psycopg2.Error if breaks != "a Python error" else Exception,
                    f"a load that fails {failed} must re-raise that error"):
        solution.replace_source(conn, FILE, good, rejected)
    after = committed(db)
    assert after == before, (
        f"a load that failed {failed} must leave the previous load as it was, row for row (ONE "
        f"transaction: DELETEs and COPYs commit together or not at all); before: {counts(before)}, after: "
        f"{counts(after)}")
    status = conn.info.transaction_status
    assert status == TRANSACTION_STATUS_IDLE, (
        f"after a load that failed {failed} the connection should be rolled back and usable (idle), it is "
        f"{STATUS.get(status, status)}: roll back on ANY error (except BaseException, or `with conn:`), not only "
        "on psycopg2.Error, before re-raising")
    assert not lock_still_held(db), (
        f"after a load that failed {failed} its lock on {FILE} is still held: another process's load of {FILE} "
        "would wait forever. Take a lock that ends with the transaction (pg_advisory_xact_lock(hashtext(...)), "
        "not pg_advisory_lock, which a ROLLBACK does not release)")
    loaded = solution.replace_source(conn, FILE, cleaned.good, cleaned.rejected)
    assert loaded == len(cleaned.good), f"a load after the failed one should work and return {len(cleaned.good)}"


def backend(observer, conn):
    with observer.cursor() as cur:
        cur.execute("SELECT state, wait_event_type, xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = %s",
                    (conn.info.backend_pid,))
        return cur.fetchone()


def another_process_waits(observer) -> bool:
    """Would another process's load of FILE wait now? It takes the stated lock, then DELETEs."""
    with observer.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (FILE,))  # autocommit: released at once
        if not cur.fetchone()[0]:
            return True
        cur.execute("BEGIN")
        try:  # or a table lock that the DELETE of another load would wait for
            cur.execute("LOCK TABLE bronze.raw_transactions IN ROW EXCLUSIVE MODE NOWAIT")
            return False
        except psycopg2.errors.LockNotAvailable:
            return True
        finally:
            cur.execute("ROLLBACK")


def test_right_duplicate_primary_key_two_loads_of_one_file_at_once_both_succeed(db, conn, cleaned, solution):
    """A cron job started twice: the second load waits for the first, then replaces it."""
    solution.replace_source(conn, FILE, cleaned.good, cleaned.rejected)  # what an earlier run loaded
    first, second, observer = db.connect(), db.connect(), db.connect()
    observer.autocommit = True
    paused, go_on, results = threading.Event(), threading.Event(), {}

    def hold(share):  # the first load stops in the middle of its COPY until the second has started
        if share > 0 and not paused.is_set():
            paused.set()
            go_on.wait(10)

    def load_into(name, connection, progress):
        try:
            results[name] = solution.replace_source(connection, FILE, cleaned.good, cleaned.rejected, progress)
        except BaseException as err:  # noqa: BLE001 - reported below, in words
            results[name] = err

    one = threading.Thread(target=load_into, args=("first", first, hold), daemon=True)
    two = threading.Thread(target=load_into, args=("second", second, None), daemon=True)
    try:
        one.start()
        deadline = time.monotonic() + 5
        while not paused.is_set() and one.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if paused.is_set():
            state = backend(observer, first)
            assert state[2], ("progress should be reported while the rows are loading, inside the load's transaction "
                              f"(pass it on to copy_frame); your fix reported it while its connection was {state[0]}")
            waits = another_process_waits(observer)
            assert waits, (
                f"while your first load of {FILE} runs, a load of the same file in ANOTHER process (a second cron "
                "job) must wait for it, but its lock would not: your load holds neither "
                f"pg_advisory_xact_lock(hashtext('{FILE}')) nor a table lock. Lock with hashtext(source_file), the "
                "same key in every process (Python's hash() of a string differs from process to process)")
            two.start()
            deadline = time.monotonic() + 3
            while two.is_alive() and time.monotonic() < deadline and backend(observer, second)[1] != "Lock":
                time.sleep(0.01)
        elif one.is_alive():
            pytest.fail("the first load did not get to its COPY within 5 s: does it wait for a lock an earlier load "
                        "never released (pg_advisory_lock without unlock)? Use a lock that ends with the "
                        "transaction (pg_advisory_xact_lock)", pytrace=False)
        else:
            two.start()
        go_on.set()
        one.join(10)
        two.join(10)
        hung = [name for name, t in (("first", one), ("second", two)) if t.is_alive()]
        assert not hung, (f"the {' and '.join(hung)} load never finished: a lock that is never released? Take one "
                          "that ends with the transaction (pg_advisory_xact_lock)")
    finally:
        go_on.set()
        with observer.cursor() as cur:  # whatever is still waiting, stop it
            cur.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid IN (%s, %s)",
                        (first.info.backend_pid, second.info.backend_pid))
        one.join(5)
        two.join(5) if two.ident else None
        for c in (first, second, observer):
            c.close()
    for name in ("first", "second"):
        got = results.get(name)
        did = f"raised {got!r}" if isinstance(got, BaseException) else f"returned {got!r}"
        assert got == len(cleaned.good), (
            f"two loads of {FILE} at once (a cron job started twice): the {name} should wait for the other and "
            f"succeed, returning {len(cleaned.good)}; it {did}. Serialise loads of one file: take a transaction "
            "lock for the source_file before the DELETEs")
    state = committed(db)
    assert (len(state[0]), len(state[1])) == (len(cleaned.good), len(cleaned.rejected)), (
        f"after both loads the file should be there once: {len(cleaned.good)} rows and {len(cleaned.rejected)} "
        f"quarantined; there are {counts(state)}")
