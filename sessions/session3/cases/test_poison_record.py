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
"""
import time

import psycopg2
import pytest

from sessions.session1.ingest import ingest_frame
from sessions.session3 import batches as batches_module
from sessions.session3.batches import load_batch
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


def test_right_poison_record_isolates_exactly_the_refused_rows(bconn, batches, solution):
    batch = poisoned(batches[0], 7, 31)
    with caller_commits(bconn):  # the probes run in savepoints of the caller's transaction
        with pytest.raises(psycopg2.errors.CharacterNotInRepertoire) as refused:
            with bconn.cursor() as cur:
                cur.execute("SAVEPOINT batch")
            ingest_frame(bconn, batch.frame, batch.batch_id)
        with bconn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT batch")
        dead = solution.isolate_poison(bconn, batch, refused.value)
    bconn.rollback()
    assert [(line, reason) for line, reason, _ in dead] == [(7, REASON), (31, REASON)]
    assert all('"Description": "PAPER CRAFT\\\\u0000LITTLE BIRDIE"' in raw for _, _, raw in dead)


def test_right_poison_record_goes_to_the_dead_letters_and_the_day_loads(bconn, batches, monkeypatch, solution):
    monkeypatch.setattr(batches_module, "isolate_poison", solution.isolate_poison)  # the pipeline, with your fix
    batch = poisoned(batches[0], 31)
    for _ in range(2):  # a re-run keeps one dead letter, not two
        result = load_batch(bconn, batch)
    assert result.rows_in == result.loaded + result.rejected + result.dead_lettered == 60
    assert result.dead_lettered == 1 and rows_of(bconn, batch.batch_id) == result.loaded
    with bconn.cursor() as cur:
        cur.execute("SELECT batch_id, batch_line, reason FROM pipeline.dead_letters")
        assert cur.fetchall() == [("day:2010-12-01", 31, REASON)]
        cur.execute("SELECT count(*) FILTER (WHERE source_line = 31), count(*) FILTER (WHERE source_line = 32) "
                    "FROM bronze.raw_transactions WHERE source_file = 'day:2010-12-01'")
        assert cur.fetchone() == (0, 1)  # the rows keep their line in the day
