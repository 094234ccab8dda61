"""One poison row blocks the whole day.

Scenario:
    A day's sales arrive from the shop's order feed as a DataFrame. One line's
    description carries a NUL byte (a broken till wrote it). Every value looks
    fine to pandas and passes the cleaning rules, but PostgreSQL refuses the
    day's COPY, and the retry refuses it again, and again.
Why:
    PostgreSQL text cannot hold the NUL character, so the database rejects
    the whole statement: one row fails the batch. The error is permanent
    (SQLSTATE class 22, a data exception), so retries cannot help; the
    healthy rows of the day never load, and each following run stops at the
    same row.
Fix:
    Isolate the poison instead of failing the batch: on a data error (class 22
    or 23), bisect the batch inside savepoints to find exactly the rows the
    database refuses, store them in a dead-letter table with the reason and
    the batch id, load the rest, and check that rows in = loaded + rejected +
    dead-lettered. Someone fixes the dead letters later; the day is not held
    hostage.
Hints:
    - A failed statement aborts the whole transaction, unless it ran inside
      a savepoint you roll back to.
    - Split the refused part in two and probe each half; a half that loads
      is fine, a half that fails is split again, down to single rows. Undo
      every probe, the good ones too.
    - Only data errors (psycopg2.DataError, IntegrityError) make a row
      poison; keep each row's own error for its reason, count lines from 1,
      and if no single row is to blame, raise the error you were given.
"""
import math
import time

import psycopg2
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_INERROR, TRANSACTION_STATUS_INTRANS

from failurelab.expect import must_raise
from sessions.session1 import load as load_module
from sessions.session1.ingest import ingest_frame
from sessions.session3 import batches as batches_module
from sessions.session3 import db as pipeline_db
from sessions.session3.batches import Batch, load_batch
from sessions.session3.db import caller_commits
from sessions.session3.deadletter import isolate_poison

pytestmark = pytest.mark.failure_case("data_quality", fix=isolate_poison)
REASON = 'CharacterNotInRepertoire [SQLSTATE 22021]: invalid byte sequence for encoding "UTF8": 0x00'


def poisoned(batch, *lines):
    for line in lines:
        batch.frame.loc[line - 1, "Description"] = "PAPER CRAFT\x00LITTLE BIRDIE"
    return batch


def naive_load_with_retries(conn, batch, tries=3):
    for attempt in range(tries):
        try:
            return ingest_frame(conn, batch.frame, batch.batch_id)
        except psycopg2.Error:
            if attempt == tries - 1:
                raise
            time.sleep(1)


def rows_of(conn, batch_id):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (batch_id,))
        return cur.fetchone()[0]


def test_wrong_poison_record_fails_the_whole_day_on_every_retry(bconn, batches, mocker, failure):
    sleep = mocker.patch("time.sleep")
    batch = poisoned(batches[0], 31)
    with failure.expect(psycopg2.errors.CharacterNotInRepertoire, pgcode="22021",
                        match=r'^invalid byte sequence for encoding "UTF8": 0x00\nCONTEXT:  COPY raw_transactions'):
        naive_load_with_retries(bconn, batch)
    assert sleep.call_count == 2 and rows_of(bconn, batch.batch_id) == 0  # 59 good rows: none loaded


def first_refusal(conn, batch):
    """The whole day's ingest, refused by the database and rolled back to a savepoint: isolate_poison's `err`."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT batch")
    try:
        ingest_frame(conn, batch.frame, batch.batch_id)
    except psycopg2.Error as err:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT batch")
        return err
    raise AssertionError("the database took the whole batch")


def first_rows(batch, n):
    """The batch's first n rows as a batch of their own (fewer probes: a faster test)."""
    return Batch(batch.batch_id, batch.frame.iloc[:n].copy())


def lines_and_reasons(dead) -> list[tuple]:
    return sorted((line, reason) for line, reason, _ in dead)


def test_right_poison_record_isolates_exactly_the_refused_rows(bconn, batches, solution):
    batch = poisoned(first_rows(batches[0], 32), 1, 16, 17, 32)  # the first, the last, two neighbours mid-batch
    with caller_commits(bconn):  # the probes run in savepoints of the caller's transaction
        with bconn.cursor() as cur:  # the caller's earlier work in this transaction: it must survive the probes
            cur.execute("INSERT INTO pipeline.dead_letters (batch_id, batch_line, reason, raw) "
                        "VALUES ('day:2010-11-30', 1, 'earlier work', '{}')")
        refused = first_refusal(bconn, batch)
        try:
            dead = solution.isolate_poison(bconn, batch, refused)
        except psycopg2.errors.InFailedSqlTransaction as err:
            pytest.fail(f"isolate_poison raised InFailedSqlTransaction ({err}): a refused probe aborted the caller's "
                        f"transaction, so every later statement failed. Probe each part inside a SAVEPOINT and "
                        f"ROLLBACK TO SAVEPOINT after it", pytrace=False)
        status = bconn.info.transaction_status
        assert status == TRANSACTION_STATUS_INTRANS, (
            "after isolate_poison the caller's transaction must still be usable: probe each part inside a "
            "SAVEPOINT and always ROLLBACK TO SAVEPOINT (a failed statement otherwise aborts the whole transaction); "
            f"yours left it {'aborted' if status == TRANSACTION_STATUS_INERROR else status}")
        with bconn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM pipeline.dead_letters), "
                        "(SELECT count(*) FROM bronze.raw_transactions), (SELECT count(*) FROM bronze.rejected_rows)")
            earlier, rows, rejected = cur.fetchone()
    bconn.rollback()
    assert earlier == 1, ("isolate_poison must undo only its probes (ROLLBACK TO SAVEPOINT), not the caller's "
                          "transaction: the caller's earlier insert is gone")
    assert rows == rejected == 0, (
        f"every probe must be undone, the ones that worked too (ROLLBACK TO SAVEPOINT probe, always): "
        f"{rows} probe rows are left in bronze.raw_transactions, {rejected} in bronze.rejected_rows")
    found = lines_and_reasons(dead)
    expected = [(line, REASON) for line in (1, 16, 17, 32)]
    assert found == expected, (
        f"isolate_poison should return exactly the refused rows, each once, as (batch line = index + 1, "
        f"reason_of(the error that row alone raised), raw): lines 1, 16, 17, 32; yours returned {found}")
    assert all('"Description": "PAPER CRAFT\\\\u0000LITTLE BIRDIE"' in raw for _, _, raw in dead), (
        f"each dead letter's raw should be deadletter.raw_json(row), the NUL written as \\u0000; yours: "
        f"{[raw for _, _, raw in dead][:1]}")


def test_right_poison_record_each_row_gets_its_own_reason(bconn, batches, solution):
    with bconn.cursor() as cur:  # a rule only the database knows: a second kind of poison
        cur.execute("ALTER TABLE bronze.raw_transactions ADD CONSTRAINT no_cursed_mugs "
                    "CHECK (description IS DISTINCT FROM 'CURSED MUG')")
    bconn.commit()
    batch = poisoned(first_rows(batches[0], 32), 7)
    batch.frame.loc[22, "Description"] = "CURSED MUG"  # line 23
    with caller_commits(bconn):
        refused = first_refusal(bconn, batch)  # the batch fails on line 7 first
        dead = solution.isolate_poison(bconn, batch, refused)
    bconn.rollback()
    found = lines_and_reasons(dead)
    expected = [(7, REASON), (23, 'CheckViolation [SQLSTATE 23514]: new row for relation "raw_transactions" '
                                    'violates check constraint "no_cursed_mugs"')]
    assert found == expected, (
        f"each dead letter's reason is the error THAT row alone raised (reason_of(error) of its single-row probe, "
        f"not of the batch's first error): expected {expected}, yours returned {found}")


def test_right_poison_record_raises_err_when_no_single_row_is_to_blame(bconn, batches, solution):
    with bconn.cursor() as cur:  # two rows that are fine alone but not together
        cur.execute("CREATE UNIQUE INDEX one_twin ON bronze.raw_transactions (description) "
                    "WHERE description = 'TWIN CANDLE'")
    bconn.commit()
    batch = batches[0]
    batch.frame.loc[[9, 39], "Description"] = "TWIN CANDLE"
    with caller_commits(bconn):
        refused = first_refusal(bconn, batch)
        with must_raise(type(refused), "every row loads alone, only the batch as a whole is refused: isolate_poison "
                                       "finds no single row to blame and must raise err") as raised:
            solution.isolate_poison(bconn, batch, refused)
    bconn.rollback()
    assert raised.value is refused, f"isolate_poison should raise err itself (raise err); it raised {raised.value!r}"


def test_right_poison_record_a_server_error_is_not_poison(settings, bconn, batches, solution):
    batch = poisoned(first_rows(batches[0], 16), 5)
    with bconn.cursor() as cur:
        cur.execute("SET lock_timeout = '50ms'")
    bconn.commit()
    other = pipeline_db.connect(settings)
    try:
        with caller_commits(bconn):
            refused = first_refusal(bconn, batch)  # the NUL on line 5: a data error
            with other.cursor() as cur:  # then another session locks bronze while the poison is searched
                cur.execute("LOCK TABLE bronze.raw_transactions IN SHARE MODE")
            with must_raise(psycopg2.OperationalError, "while bisecting, a probe failed with a lock timeout (55P03): "
                            "that is the server, not the data; only DataError/IntegrityError mark a row as poison, "
                            "any other error must propagate"):
                solution.isolate_poison(bconn, batch, refused)
        bconn.rollback()
    finally:
        other.close()


def test_right_poison_record_goes_to_the_dead_letters_and_the_day_loads(bconn, batches, monkeypatch, solution):
    probes, inside = [], []  # parts loaded per isolate_poison call (every ingest_frame goes through replace_source)
    real_load = load_module.replace_source

    def counted_load(*args, **kwargs):
        if inside:  # the pipeline's own loads, outside isolate_poison, are not probes
            probes[-1] += 1
        return real_load(*args, **kwargs)

    def isolate(conn, batch, err):
        probes.append(0)
        inside.append(True)
        try:
            return solution.isolate_poison(conn, batch, err)
        finally:
            inside.pop()

    monkeypatch.setattr(load_module, "replace_source", counted_load)
    monkeypatch.setattr(batches_module, "isolate_poison", isolate)  # the pipeline, with your fix
    batch = poisoned(batches[0], 31)
    for _ in range(2):  # a re-run keeps one dead letter, not two
        result = load_batch(bconn, batch)
    n = len(batch.frame)
    most = 2 * math.ceil(math.log2(n)) + 2
    assert probes and max(probes) <= most, (
        f"one poison row among {n}: bisection (split a refused part in two, probe each half) finds it in about "
        f"2*log2({n}) probes; at most {most} loads are expected, your isolate_poison probed {max(probes or [0])} "
        f"parts: do not probe every row alone")
    assert result.rows_in == result.loaded + result.rejected + result.dead_lettered == 60, (
        f"rows in = loaded + rejected + dead-lettered = 60 with your isolate_poison; the pipeline got {result}")
    loaded = rows_of(bconn, batch.batch_id)
    assert result.dead_lettered == 1 and loaded == result.loaded, (
        f"one poison row (line 31): 1 dead letter and the other good rows loaded; the pipeline dead-lettered "
        f"{result.dead_lettered} and bronze holds {loaded} rows (it reported {result.loaded})")
    with bconn.cursor() as cur:
        cur.execute("SELECT batch_id, batch_line, reason FROM pipeline.dead_letters")
        dead = cur.fetchall()
        cur.execute("SELECT count(*) FILTER (WHERE source_line = 31), count(*) FILTER (WHERE source_line = 32) "
                    "FROM bronze.raw_transactions WHERE source_file = 'day:2010-12-01'")
        lines = cur.fetchone()
    bconn.rollback()
    assert dead == [("day:2010-12-01", 31, REASON)], (
        f"pipeline.dead_letters should hold line 31 once with its reason, after two loads; it holds {dead}")
    assert lines == (0, 1), f"the loaded rows keep their line in the day: no line 31, one line 32; found {lines}"
