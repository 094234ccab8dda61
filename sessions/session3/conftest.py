"""Session 3's fixtures: a few days of data, and the settings the pipeline reads."""
import re

import psycopg2
import psycopg2.extensions
import psycopg2.sql
import pytest

from sessions.session1.config import Settings
from sessions.session3 import db as pipeline_db
from sessions.session3.batches import Batch, split_days
from sessions.session3.sample import few_days


@pytest.fixture
def settings(db) -> Settings:
    """Session 1's settings for this test's own database (the CLI reads the same from DB_*)."""
    return Settings(db.host, db.port, db.dbname, db.user, db.password)


@pytest.fixture
def batches():
    """Four daily batches of about 60 rows each."""
    return split_days(few_days())


@pytest.fixture
def bconn(settings):
    """A BatchConnection to this test's database, with the bronze and pipeline schemas created."""
    conn = pipeline_db.connect(settings)
    pipeline_db.create_schema(conn)
    yield conn
    conn.close()


@pytest.fixture
def serialization_failure(db):
    """A REAL SerializationFailure (40001): a repeatable-read transaction updates a row
    another transaction changed and committed meanwhile. Transient: a redo succeeds."""
    a, b = db.connect(), db.connect()
    try:
        with a.cursor() as cur:
            cur.execute("CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)")
        a.commit()
        a.set_session(isolation_level="REPEATABLE READ")
        with a.cursor() as cur:
            cur.execute("SELECT n FROM counter WHERE id = 1")  # a's snapshot is taken here
        with b.cursor() as cur:
            cur.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        b.commit()
        try:
            with a.cursor() as cur:
                cur.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        except psycopg2.errors.SerializationFailure as err:
            return err
        raise AssertionError("PostgreSQL did not refuse the update")
    finally:
        a.close()
        b.close()


def the_server_drops_the_connection_on(conn, where: str) -> None:
    """A real fault: the next statement that writes there kills its own backend (the server drops the client)."""
    with conn.cursor() as cur:
        cur.execute("""CREATE OR REPLACE FUNCTION public.drop_the_connection() RETURNS trigger LANGUAGE plpgsql AS
                       $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$""")
        for table, events in FAULTS[where]:
            cur.execute(f"CREATE TRIGGER the_fault AFTER {events} ON {table} "
                        f"FOR EACH STATEMENT EXECUTE FUNCTION public.drop_the_connection()")
    conn.commit()


def the_fault_removed(conn, where: str) -> None:
    with conn.cursor() as cur:
        for table, _ in FAULTS[where]:
            cur.execute(f"DROP TRIGGER the_fault ON {table}")
    conn.commit()


# Where every correct load_batch passes: the replace of the day's rows (session 1 deletes the day's rejected rows,
# then copies the rows in; whichever comes first), and the checkpoint's insert or update.
FAULTS = {"replacing_the_rows": [("bronze.rejected_rows", "DELETE"), ("bronze.raw_transactions", "INSERT")],
          "writing_the_checkpoint": [("pipeline.checkpoints", "INSERT OR UPDATE")]}


class FailsWritingTheCheckpoint(psycopg2.extensions.cursor):
    """A fault on purpose, in Python: the process fails (a bug, MemoryError ...) as the checkpoint is written."""
    WRITES = re.compile(r"(insert\s+into|update)\s+pipeline\.checkpoints", re.I)
    FAULT = RuntimeError

    def _check(self, query):
        text = query.as_string(self) if isinstance(query, psycopg2.sql.Composable) else query
        text = text.decode() if isinstance(text, bytes) else text
        if self.WRITES.search(text):
            raise self.FAULT("the process failed while writing the checkpoint (a fault injected by the test)")

    def execute(self, query, vars=None):
        self._check(query)
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        self._check(query)
        return super().executemany(query, vars_list)


def corrected(batch: Batch) -> Batch:
    """The day re-sent with corrections: two lines dropped, one quantity now a typo, one price changed."""
    frame = batch.frame.drop(index=[5, 6]).reset_index(drop=True)
    frame["Quantity"] = frame["Quantity"].astype("object")
    frame.loc[10, "Quantity"] = "12x"                     # now rejected (invalid_quantity)
    frame.loc[20, "UnitPrice"] = frame.loc[20, "UnitPrice"] + 1
    return Batch(batch.batch_id, frame)
