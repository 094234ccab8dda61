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
"""
import pandas as pd
import psycopg2
import pytest

from sessions.session1 import cleaning, load

pytestmark = pytest.mark.failure_case("business_logic", fix=load.replace_source)

SNAPSHOT = ("SELECT source_file, source_line, invoice_no, stock_code, description, quantity, invoice_date, unit_price, "
            "customer_id, country, is_cancellation, is_duplicate FROM bronze.raw_transactions ORDER BY 1, 2")


def snapshot(conn):
    with conn.cursor() as cur:
        cur.execute(SNAPSHOT)
        rows = cur.fetchall()
        cur.execute("SELECT source_file, source_line, reason, raw FROM bronze.rejected_rows ORDER BY 1, 2")
        return rows, cur.fetchall()


def naive_load(conn, good, source_file):
    with conn.cursor() as cur:  # append only: nothing about what this file loaded before
        load.copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions", load.RAW_COLUMNS)
    conn.commit()


@pytest.fixture
def cleaned(conn, sample_frame):
    load.create_schema(conn)
    return cleaning.clean(sample_frame.head(300))


def test_wrong_duplicate_primary_key_a_second_naive_load_is_refused(conn, cleaned, failure):
    naive_load(conn, cleaned.good, "online_retail.csv")
    with failure.expect(psycopg2.errors.UniqueViolation, pgcode="23505",
                        match=r'duplicate key value violates unique constraint "raw_transactions_pkey"'):
        naive_load(conn, cleaned.good, "online_retail.csv")


def test_right_duplicate_primary_key_twice_equals_once_row_for_row(conn, cleaned, solution):
    assert solution.replace_source(conn, "online_retail.csv", cleaned.good, cleaned.rejected) == len(cleaned.good)
    once = snapshot(conn)
    assert solution.replace_source(conn, "online_retail.csv", cleaned.good, cleaned.rejected) == len(cleaned.good)
    assert snapshot(conn) == once and len(once[0]) == len(cleaned.good)


def test_right_duplicate_primary_key_a_corrected_file_replaces_only_its_own_rows(conn, cleaned, sample_frame, solution):
    other = cleaning.clean(sample_frame.tail(50))
    solution.replace_source(conn, "other.csv", other.good, other.rejected)
    solution.replace_source(conn, "online_retail.csv", cleaned.good, cleaned.rejected)
    solution.replace_source(conn, "online_retail.csv", cleaned.good.head(10), cleaned.rejected.head(0))
    with conn.cursor() as cur:
        cur.execute("SELECT source_file, count(*) FROM bronze.raw_transactions GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("online_retail.csv", 10), ("other.csv", len(other.good))]


def test_right_duplicate_primary_key_a_failure_half_way_keeps_the_previous_load(conn, cleaned, solution):
    solution.replace_source(conn, "online_retail.csv", cleaned.good, cleaned.rejected)
    before = snapshot(conn)
    # A real failure after the DELETEs and the rows' COPY: the quarantine COPY meets a value jsonb refuses.
    broken = pd.DataFrame({"source_line": [1], "reason": ["price_out_of_range"], "raw": ["{cut short"]})
    with pytest.raises(psycopg2.errors.InvalidTextRepresentation, match=r"invalid input syntax for type json"):
        solution.replace_source(conn, "online_retail.csv", cleaned.good.head(5), broken)
    assert snapshot(conn) == before  # not 5 rows, not 0 rows: the previous load, row for row
