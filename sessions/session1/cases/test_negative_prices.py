"""Prices outside the business rules.

Scenario:
    The real export contains prices no product has: two "Adjust bad debt" lines
    at -11,062.06 and their +11,062.06 twin, a cancelled manual entry of
    38,970.00 and eight AMAZONFEE lines over 10,000. The course's rule says a
    unit price lies within [0, 10000].
Why:
    A naive load has no rules: it accepts every one of those rows and revenue
    is silently wrong. Putting the rule only into the table as a CHECK
    constraint is not enough either: PostgreSQL refuses the whole COPY with
    CheckViolation (SQLSTATE 23514) on the first violator, so thousands of good
    rows are lost for one bad one and the message names a single row.
Fix:
    Apply the rules in the cleaning step, load the rows that pass, and
    quarantine the violators with their reason in bronze.rejected_rows where a
    person can review them. Check that rows read = rows loaded + rows rejected.
"""

import psycopg2
import pytest

from sessions.session1 import cleaning, ingest, load

pytestmark = pytest.mark.failure_case("business_logic", fix=ingest.ingest_frame)

FAMOUS = {"-11062.06", "11062.06", "38970.0"}


def naive_load(conn, frame, source_file):
    """Rename, convert, COPY: no rules, every row goes in."""
    typed = frame.rename(columns=cleaning.BRONZE).assign(
        source_file=source_file, source_line=range(1, len(frame) + 1), customer_id=frame["CustomerID"].astype("Int64"),
        is_cancellation=frame["InvoiceNo"].str.startswith("C"), is_duplicate=False)
    with conn.cursor() as cur:
        load.copy_frame(cur, typed, "bronze.raw_transactions", load.RAW_COLUMNS)
    conn.commit()


def test_wrong_negative_prices_a_naive_load_accepts_them_silently(conn, sample_frame):
    load.create_schema(conn)
    naive_load(conn, sample_frame, "online_retail.csv")
    with conn.cursor() as cur:
        cur.execute("SELECT unit_price::text FROM bronze.raw_transactions WHERE unit_price NOT BETWEEN 0 AND 10000")
        assert {row[0].rstrip("0") for row in cur.fetchall()} == {"-11062.06", "11062.06", "38970."}


def test_wrong_negative_prices_a_check_constraint_rejects_the_whole_batch(conn, sample_frame, failure):
    load.create_schema(conn)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE bronze.raw_transactions ADD CONSTRAINT unit_price_range "
                    "CHECK (unit_price BETWEEN 0 AND 10000)")
    conn.commit()
    with failure.expect(psycopg2.errors.CheckViolation, pgcode="23514",
                        match=r'new row for relation "raw_transactions" violates check constraint "unit_price_range"'):
        naive_load(conn, sample_frame, "online_retail.csv")
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.raw_transactions")
        assert cur.fetchone()[0] == 0  # 2,000 rows lost for 4 bad ones


def test_right_negative_prices_violators_are_quarantined_with_their_reason(conn, sample_frame, solution):
    load.create_schema(conn)
    report = solution.ingest_frame(conn, sample_frame, "online_retail.csv")
    with conn.cursor() as cur:
        cur.execute("SELECT reason, raw FROM bronze.rejected_rows WHERE source_file = 'online_retail.csv'")
        quarantined = cur.fetchall()
        cur.execute("SELECT min(unit_price), max(unit_price), count(*) FROM bronze.raw_transactions")
        low, high, loaded = cur.fetchone()
    prices = {raw["UnitPrice"] for reason, raw in quarantined if reason == "price_out_of_range"}
    assert prices == FAMOUS and report.rejected["price_out_of_range"] == 4
    assert 0 <= low and high <= 10000
    assert report.read == len(sample_frame) == loaded + len(quarantined) == report.loaded + sum(report.rejected.values())


def test_right_negative_prices_cancellations_are_kept_and_flagged_not_rejected(conn, sample_frame, solution):
    load.create_schema(conn)
    report = solution.ingest_frame(conn, sample_frame, "online_retail.csv")
    cancellations = sample_frame["InvoiceNo"].str.startswith("C")
    out_of_range = ~sample_frame["UnitPrice"].between(0, 10000)
    assert report.cancellations == (cancellations & ~out_of_range).sum() > 0
    with conn.cursor() as cur:
        cur.execute("SELECT bool_and(quantity < 0) FROM bronze.raw_transactions WHERE is_cancellation")
        assert cur.fetchone()[0] is True
