"""The full real dataset (541,909 rows) loads and reconciles; skips where it is absent."""
import lzma
import shutil
import time
from decimal import Decimal

import pytest

from sessions.session1 import guards, ingest, load, reader

# Rows the price rule [0, 10000] quarantines in the real data (see ../shared/data/README.md):
# the 2 "Adjust bad debt" rows at -11062.06, its +11062.06 twin, the 38,970 manual entry
# (C556445, StockCode M) and 8 AMAZONFEE lines between 11,586.50 and 17,836.46.
PRICE_OUT_OF_RANGE = 12
UNPACKED_SHA256 = "c35975c40d0e1e105090fbb11188a409393055f873841bd012915475fc84e69f"  # ../shared/data/README.md


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


def test_the_real_data_compressed_then_decompressed_is_loaded_once(conn, real_data, tmp_path):
    """The .csv.xz, then the same data as .csv (decompressed into tmp_path): refused, bronze keeps one load."""
    load.create_schema(conn)
    start = time.perf_counter()
    first = ingest.ingest_file(conn, real_data)
    loaded_in = time.perf_counter() - start
    plain = tmp_path / real_data.name.removesuffix(".xz")
    with lzma.open(real_data) as packed, open(plain, "wb") as out:
        shutil.copyfileobj(packed, out)
    start = time.perf_counter()
    with pytest.raises(guards.LoadRefused, match=rf"^{plain.name} has the same content \(sha256 c35975c40d0e\) as "
                                                 rf"{real_data.name}, already loaded: .* --replace {real_data.name}$"):
        ingest.ingest_file(conn, plain)
    print(f"\nload {real_data.name}: {loaded_in:.2f} s; {plain.name} refused in {time.perf_counter() - start:.2f} s")
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bronze.raw_transactions), "
                    "(SELECT count(*) FROM bronze.rejected_rows)")
        assert cur.fetchone() == (first.loaded, PRICE_OUT_OF_RANGE) == (541_897, 12)
        cur.execute("SELECT source_file, outcome, sha256 FROM bronze.load_log ORDER BY load_id")
        assert cur.fetchall() == [(real_data.name, "loaded", UNPACKED_SHA256), (plain.name, "refused", UNPACKED_SHA256)]
