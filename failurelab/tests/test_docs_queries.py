"""The review queries the Notes give under "Production considerations" run on the real schemas and find what they say.

Each ```sql block there is split into statements; every statement runs against a
database holding the three sessions' tables and one row of each kind a person
reviews (a quarantined row, a refused load, a dead letter, a non-product line),
and must return that row.
"""
import re
from pathlib import Path

import pytest

from sessions.session1 import load
from sessions.session2.runner import SQL_DIR
from sessions.session3 import db as session3_db

ROOT = Path(__file__).resolve().parents[2]


def review_queries() -> list[tuple[str, str]]:
    found = []
    for notes in sorted(ROOT.glob("sessions/*/Notes.md")):
        section = notes.read_text().partition("### Production considerations")[2]
        for block in re.findall(r"^```sql\n(.*?)^```", section, re.S | re.M):
            for statement in block.split(";"):
                code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
                if code.strip():
                    found.append((str(notes.relative_to(ROOT)), statement.strip()))
    return found


QUERIES = review_queries()

ONE_OF_EACH = """
INSERT INTO bronze.raw_transactions (source_file, source_line, invoice_no, stock_code, quantity, invoice_date,
                                     unit_price, country, is_cancellation)
     VALUES ('day:2010-12-01', 1, '536365', 'POST', 1, '2010-12-01 08:26', 18.0, 'France', false);
INSERT INTO bronze.rejected_rows (source_file, source_line, reason, raw)
     VALUES ('day:2010-12-01', 2, 'price_out_of_range', '{"UnitPrice": "-11062.06"}');
INSERT INTO bronze.load_log (source_file, started_at, finished_at, outcome, detail)
     VALUES ('sales_2011.csv', now(), now(), 'refused', 'LoadRefused: same content as online_retail.csv');
INSERT INTO pipeline.dead_letters (batch_id, batch_line, reason, raw)
     VALUES ('day:2010-12-01', 3, 'CharacterNotInRepertoire [SQLSTATE 22021]: invalid byte sequence', '{}');
INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected, dead_lettered)
     VALUES ('day:2010-12-01', 'abc', 3, 1, 1, 1);
"""


def test_every_session_notes_gives_review_queries():
    assert {notes for notes, _ in QUERIES} == {f"sessions/session{n}/Notes.md" for n in (1, 2, 3)}


@pytest.mark.parametrize("notes, query", QUERIES, ids=[f"{n}:{i}" for i, (n, _) in enumerate(QUERIES)])
def test_a_review_query_in_the_notes_finds_the_rows_it_is_for(conn, notes, query):
    load.create_schema(conn)
    with conn.cursor() as cur:
        cur.execute((SQL_DIR / "00_schema.sql").read_text())  # silver.is_product_code()
    conn.commit()
    session3_db.create_schema(conn)
    with conn.cursor() as cur:
        cur.execute(ONE_OF_EACH)
        cur.execute(query)
        rows = cur.fetchall()
    assert rows, f"{notes}: this review query found nothing where there is one row to review:\n{query}"
