"""The full real dataset (541,909 rows) loads and reconciles; skips where it is absent."""
from decimal import Decimal

from sessions.session1 import ingest, load, reader

# Rows the price rule [0, 10000] quarantines in the real data (see ../shared/data/README.md):
# the 2 "Adjust bad debt" rows at -11062.06, its +11062.06 twin, the 38,970 manual entry
# (C556445, StockCode M) and 8 AMAZONFEE lines between 11,586.50 and 17,836.46.
PRICE_OUT_OF_RANGE = 12


def test_the_real_data_loads_reconciles_and_a_rerun_changes_nothing(conn, real_data):
    load.create_schema(conn)
    frame = reader.read_source(real_data)
    assert len(frame) == 541_909
    report = ingest.ingest_frame(conn, frame, real_data.name)
    assert report.rejected == {"price_out_of_range": PRICE_OUT_OF_RANGE}
    assert report.loaded == 541_909 - PRICE_OUT_OF_RANGE and report.reconciles
    assert report.duplicates == 5_268  # the README's exact duplicates: kept, flagged
    assert report.cancellations == 9_288 - 8  # 8 cancellation lines are over 10,000: 7 AMAZONFEE, 1 manual
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(customer_id), round(sum(quantity * unit_price), 2) "
                    "FROM bronze.raw_transactions")
        rows, with_customer, revenue = cur.fetchone()
        assert (rows, with_customer) == (report.loaded, 541_909 - 135_080 - 1)  # C556445 has customer 15098
        again = ingest.ingest_frame(conn, frame, real_data.name)
        cur.execute("SELECT count(*), round(sum(quantity * unit_price), 2) FROM bronze.raw_transactions")
        assert cur.fetchone() == (rows, revenue) and again.rejected == report.rejected
        cur.execute("SELECT count(*), sum((raw->>'Quantity')::numeric * (raw->>'UnitPrice')::numeric) "
                    "FROM bronze.rejected_rows")
        quarantined, quarantined_revenue = cur.fetchone()
        assert quarantined == PRICE_OUT_OF_RANGE
        assert revenue + quarantined_revenue == Decimal("9747747.93")  # the README's revenue: nothing lost
