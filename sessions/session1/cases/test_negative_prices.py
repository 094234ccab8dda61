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
    Write the rule in the cleaning step (cleaning.price_out_of_range: which
    prices lie outside [0, 10000]), load the rows that pass, and quarantine the
    violators with their reason in bronze.rejected_rows where a person can
    review them. Check that rows read = rows loaded + rows rejected.
Hints:
    - The rule is a range: a unit price is valid from 0 to 10,000, both ends
      included. Write it once, as a function of the price column, and let the
      cleaning apply it (cleaning.clean calls cleaning.price_out_of_range).
    - Mind which side is strict: a free item (0.00) is valid, -0.01 is not, and
      neither is 10,000.01. Return one flag per price, a bool Series with the
      prices' index.
    - Rows that break the rule are quarantined with their reason, never
      dropped: load.replace_source takes both parts, and the report counts
      what was loaded, so rows read = rows loaded + rows rejected.
"""
from collections import Counter

import pandas as pd
import psycopg2
import pytest

from sessions.session1 import cleaning, ingest, load

pytestmark = pytest.mark.failure_case("business_logic", fix=[cleaning.price_out_of_range, ingest.ingest_frame])

FAMOUS = Counter({"-11062.06": 2, "11062.06": 1, "38970.0": 1})  # the sample's four violators, as read
# price -> out of range? Both bounds are valid prices; a NaN (not a number) is another rule's business.
PRICES = {0.0: False, 0.001: False, 2.55: False, 9999.99: False, 10000.0: False,
          -0.01: True, 10000.01: True, -11062.06: True, 11062.06: True, 38970.0: True}
A_LINE = {"InvoiceNo": "536365", "StockCode": "85123A", "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
          "Quantity": "6", "InvoiceDate": "2010-12-01 08:26:00", "UnitPrice": "2.55", "CustomerID": "17850.0",
          "Country": "United Kingdom"}


def naive_load(conn, frame, source_file):
    """Rename, convert, COPY: no rules, every row goes in."""
    typed = frame.rename(columns=cleaning.BRONZE).assign(
        source_file=source_file, source_line=range(1, len(frame) + 1), customer_id=frame["CustomerID"].astype("Int64"),
        is_cancellation=frame["InvoiceNo"].str.startswith("C"), is_duplicate=False)
    with conn.cursor() as cur:
        load.copy_frame(cur, typed, "bronze.raw_transactions", load.RAW_COLUMNS)
    conn.commit()


def with_your_rule(monkeypatch, solution):
    """The pipeline's clean() applies the price rule by calling cleaning.price_out_of_range: yours, from here on."""
    monkeypatch.setattr(cleaning, "price_out_of_range", solution.price_out_of_range)


def ingested(conn, solution, frame, source_file="online_retail.csv") -> ingest.IngestReport:
    load.create_schema(conn)
    report = solution.ingest_frame(conn, frame, source_file)
    assert isinstance(report, ingest.IngestReport), (
        f"ingest_frame should return an ingest.IngestReport, yours returned {type(report).__name__}")
    assert isinstance(report.rejected, dict), (
        f"IngestReport.rejected should be a dict {{reason: rows}}, yours is {type(report.rejected).__name__}")
    return report


def nonzero(rejected: dict) -> dict:
    return {reason: rows for reason, rows in rejected.items() if rows}


def query(conn, sql, *params):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


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


def test_right_negative_prices_the_rule_marks_prices_outside_0_to_10000(solution):
    price = pd.Series([*PRICES, float("nan")], index=range(100, 100 + len(PRICES) + 1), dtype="float64")
    mask = solution.price_out_of_range(price.copy())
    assert isinstance(mask, pd.Series), (
        f"price_out_of_range should return a pandas Series of booleans, yours returned {type(mask).__name__}")
    assert pd.api.types.is_bool_dtype(mask.dtype) and mask.index.equals(price.index), (
        f"price_out_of_range should return a bool Series with the index of price (one flag per price), yours has "
        f"dtype {mask.dtype} and index {list(mask.index)[:4]}...")
    wrong = {p: bool(flag) for p, flag in zip(PRICES, mask) if bool(flag) != PRICES[p]}
    assert not wrong, (
        "True exactly where a price is outside [0, 10000] (0 and 10000 are valid): your rule says "
        + ", ".join(f"{p} -> {flag}" for p, flag in wrong.items()))


def test_right_negative_prices_violators_are_quarantined_with_their_reason(conn, sample_frame, monkeypatch, solution):
    with_your_rule(monkeypatch, solution)
    report = ingested(conn, solution, sample_frame)
    assert nonzero(report.rejected) == {"price_out_of_range": 4}, (
        f"the sample's four out-of-range prices (-11062.06 twice, 11062.06, 38970) should be the only rows "
        f"rejected, as {{'price_out_of_range': 4}}; your report says {report.rejected}")
    quarantined = query(conn, "SELECT reason, raw FROM bronze.rejected_rows WHERE source_file = 'online_retail.csv'")
    prices = Counter(raw["UnitPrice"] for reason, raw in quarantined if reason == "price_out_of_range")
    assert prices == FAMOUS and len(quarantined) == 4, (
        f"bronze.rejected_rows should hold the 4 violators with reason 'price_out_of_range' and their raw row; "
        f"it holds {len(quarantined)}: {[(r, raw.get('UnitPrice')) for r, raw in quarantined][:6]}")
    low, high, loaded, free = query(conn, "SELECT min(unit_price), max(unit_price), count(*), "
                                          "count(*) FILTER (WHERE unit_price = 0) FROM bronze.raw_transactions")[0]
    assert loaded == len(sample_frame) - 4 and 0 <= low and high <= 10000, (
        f"bronze.raw_transactions should hold the other {len(sample_frame) - 4} rows, priced within [0, 10000]; "
        f"it holds {loaded}, priced {low} to {high}")
    assert free == (sample_frame["UnitPrice"] == 0).sum(), (
        f"the {(sample_frame['UnitPrice'] == 0).sum()} free items (price 0) are valid and should be loaded; "
        f"{free} were")
    assert report.read == len(sample_frame) and report.loaded == loaded and report.reconciles, (
        f"the report should reconcile: read {len(sample_frame)} = loaded {loaded} + rejected 4; yours says read "
        f"{report.read}, loaded {report.loaded}, rejected {sum(report.rejected.values())}")


def test_right_negative_prices_the_rule_decides_in_the_pipeline(conn, monkeypatch, solution):
    with_your_rule(monkeypatch, solution)
    prices = ["0", "10000", "-0.01", "10000.01", "2.55", "0.00", "10000.00"]
    frame = pd.DataFrame([{**A_LINE, "InvoiceNo": f"5{n:05d}", "UnitPrice": p} for n, p in enumerate(prices, 1)]
                         + [{**A_LINE, "InvoiceNo": ""}],  # line 8: a valid price, but no invoice number
                         dtype="str")  # as reader.read_csv gives it: every cell text
    report = ingested(conn, solution, frame)
    loaded = {n for (n,) in query(conn, "SELECT source_line FROM bronze.raw_transactions")}
    rejected = dict(query(conn, "SELECT source_line, reason FROM bronze.rejected_rows"))
    due_loaded = {1, 2, 5, 6, 7}
    due_rejected = {3: "price_out_of_range", 4: "price_out_of_range", 8: "missing_invoice_no"}
    assert loaded == due_loaded and rejected == due_rejected, (
        f"prices {prices}: lines {sorted(due_loaded)} should load (0 and 10000 are valid), lines 3 and 4 (-0.01, "
        f"10000.01) be quarantined as price_out_of_range, line 8 (no InvoiceNo) as missing_invoice_no; loaded "
        f"{sorted(loaded)}, rejected {rejected}")
    due = {"price_out_of_range": 2, "missing_invoice_no": 1}
    assert (report.read, report.loaded, nonzero(report.rejected)) == (8, 5, due), (
        f"the report should say read 8, loaded 5, rejected {due} (the rejected rows counted by their reason, as "
        f"cleaning gave it); yours: read {report.read}, loaded {report.loaded}, rejected {report.rejected}")


def test_right_negative_prices_cancellations_are_kept_and_flagged_not_rejected(conn, sample_frame, monkeypatch,
                                                                              solution):
    with_your_rule(monkeypatch, solution)
    report = ingested(conn, solution, sample_frame)
    cancellations = sample_frame["InvoiceNo"].str.startswith("C")
    out_of_range = ~sample_frame["UnitPrice"].between(0, 10000)
    due = int((cancellations & ~out_of_range).sum())  # the 38,970 manual entry was a cancellation: quarantined
    flagged, negative, duplicates = query(conn, "SELECT count(*) FILTER (WHERE is_cancellation), "
                                                "bool_and(quantity < 0) FILTER (WHERE is_cancellation), "
                                                "count(*) FILTER (WHERE is_duplicate) FROM bronze.raw_transactions")[0]
    assert flagged == due and negative is True, (
        f"the {due} cancellations in range are real events: they should be loaded, flagged is_cancellation; "
        f"{flagged} rows are flagged")
    assert report.cancellations == due and report.duplicates == duplicates, (
        f"the report should count what was loaded: {due} cancellations, {duplicates} duplicates flagged; yours says "
        f"{report.cancellations} and {report.duplicates}")


def test_right_negative_prices_a_rerun_replaces_the_files_rows(conn, sample_frame, monkeypatch, solution):
    with_your_rule(monkeypatch, solution)
    first = ingested(conn, solution, sample_frame)
    again = solution.ingest_frame(conn, sample_frame, "online_retail.csv")
    rows, quarantined = query(conn, "SELECT (SELECT count(*) FROM bronze.raw_transactions), "
                                    "(SELECT count(*) FROM bronze.rejected_rows)")[0]
    assert (rows, quarantined) == (first.loaded, 4) and again.loaded == first.loaded, (
        f"loading the same file again should replace its rows (load.replace_source): {first.loaded} rows and 4 "
        f"quarantined, as after the first run; after the second there are {rows} and {quarantined}")
