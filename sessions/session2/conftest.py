"""Session 2's fixtures: a bronze layer loaded the way session 1 loads it."""
import pytest

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
