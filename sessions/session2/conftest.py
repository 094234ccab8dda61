"""Session 2's fixtures: a bronze layer loaded the way session 1 loads it."""
import pandas as pd
import pytest
from psycopg2 import extensions

from failurelab import sampledata

from sessions.session1.ingest import ingest_frame
from sessions.session1.load import create_schema

SOURCE = "online_retail.csv"


def load_bronze(conn, frame, source_file: str = SOURCE) -> int:
    """Create bronze and ingest ``frame`` with session 1's pipeline; return rows loaded."""
    create_schema(conn)
    return ingest_frame(conn, frame, source_file).loaded


@pytest.fixture
def bronze(conn, sample_frame):
    """``conn`` to a database whose bronze holds the 2,000-row sample, cleaned by session 1."""
    load_bronze(conn, sample_frame)
    return conn


def next_batch(day: str, codes=("85123A", "23999"), lines: int = 3) -> pd.DataFrame:
    """A small later batch in the source's shape: ``lines`` sales per code on ``day``.

    23999 is a product the sample has never seen (a new catalogue line).
    """
    rows = [(f"6{i:05d}", code, "NEW CATALOGUE LINE" if code == "23999" else "WHITE HANGING HEART T-LIGHT HOLDER",
             2 + i, pd.Timestamp(f"{day} 10:{i:02d}:00"), 2.55, 17850.0, "United Kingdom")
            for code in codes for i in range(lines)]
    return pd.DataFrame(rows, columns=sampledata.COLUMNS)


def add_batch(conn, day: str, **kwargs) -> pd.DataFrame:
    """Ingest ``next_batch(day)`` into bronze as its own source file, like a daily run."""
    batch = next_batch(day, **kwargs)
    ingest_frame(conn, batch, f"batch_{day}.csv")
    return batch


_STATES = {extensions.TRANSACTION_STATUS_IDLE: "idle (nothing open)",
           extensions.TRANSACTION_STATUS_INTRANS: "an open transaction (a statement ran, nothing committed "
                                                  "or rolled back)",
           extensions.TRANSACTION_STATUS_INERROR: "an aborted transaction (an error was not rolled back)"}
IDLE = _STATES[extensions.TRANSACTION_STATUS_IDLE]


def transaction_state(conn) -> str:
    """The connection's transaction status in words: IDLE, or what is left open."""
    return _STATES.get(conn.info.transaction_status, f"status {conn.info.transaction_status}")


def hand_batch(rows, day_time: str = "10:00") -> pd.DataFrame:
    """A hand-made batch in the source's shape: rows of (invoice, code, quantity, price, day[, description])."""
    out = []
    for i, (invoice, code, quantity, price, day, *description) in enumerate(rows):
        out.append((invoice, code, description[0] if description else "HAND MADE LINE", quantity,
                    pd.Timestamp(f"{day} {day_time}") + pd.Timedelta(minutes=i), price, 17850.0, "United Kingdom"))
    return pd.DataFrame(out, columns=sampledata.COLUMNS)


def add_rows(conn, source_file: str, rows) -> pd.DataFrame:
    """Ingest ``hand_batch(rows)`` into bronze as the source file ``source_file``."""
    frame = hand_batch(rows)
    ingest_frame(conn, frame, source_file)
    return frame


def query(conn, sql: str) -> list[tuple]:
    """The rows of one read, with the transaction ended after it (a check leaves nothing open)."""
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def located(err) -> str:
    """Where a runner.SqlFileError says the error is, for a student to compare with where it is."""
    return (f"file={err.file!r}, statement={err.statement!r}, line={err.line!r}, column={err.column!r}, "
            f"pgcode={err.pgcode!r}")
