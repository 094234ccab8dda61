"""The pipeline end to end on generated data: every CSV shape, xlsx, idempotency."""
import pytest

from failurelab import sampledata
from sessions.session1 import ingest, load

BRONZE_ROWS = "SELECT source_line, invoice_no, stock_code, description, quantity, invoice_date, unit_price, " \
              "customer_id, country, is_cancellation, is_duplicate FROM bronze.raw_transactions " \
              "WHERE source_file = %s ORDER BY source_line"


def rows(conn, source_file):
    with conn.cursor() as cur:
        cur.execute(BRONZE_ROWS, (source_file,))
        return cur.fetchall()


def counts(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bronze.raw_transactions), (SELECT count(*) FROM bronze.rejected_rows)")
        return cur.fetchone()


def test_the_sample_loads_and_reconciles_with_prices_quarantined(conn, sample_frame):
    load.create_schema(conn)
    report = ingest.ingest_frame(conn, sample_frame, "sample.csv")
    assert report.read == len(sample_frame) == report.loaded + sum(report.rejected.values())
    assert report.rejected["price_out_of_range"] == 4  # 11062.06, -11062.06 twice, 38970
    assert counts(conn) == (report.loaded, sum(report.rejected.values()))
    assert report.cancellations > 0 and report.duplicates > 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
@pytest.mark.parametrize("dates", ["iso", "us"])
@pytest.mark.parametrize("customer", ["float", "int"])
def test_every_csv_shape_loads_to_the_same_rows(conn, sample_frame, tmp_path, encoding, dates, customer):
    load.create_schema(conn)
    path = sampledata.write_csv(sample_frame, tmp_path / "shape.csv", encoding=encoding, dates=dates, customer=customer)
    ingest.ingest_file(conn, path)
    ingest.ingest_frame(conn, sample_frame, "reference")  # after: the file's guards refuse invoices loaded already
    assert rows(conn, "shape.csv") == rows(conn, "reference")


def test_xlsx_loads_to_the_same_rows_with_either_engine(conn, sample_xlsx, sample_frame):
    load.create_schema(conn)
    ingest.ingest_frame(conn, sample_frame, "reference")
    reference = rows(conn, "reference")
    ingest.ingest_frame(conn, sample_frame.head(0), "reference")  # gone again: the file's invoices are its own
    for engine in ("calamine", "openpyxl"):
        ingest.ingest_file(conn, sample_xlsx, engine=engine)
        assert rows(conn, sample_xlsx.name) == reference


def test_loading_the_same_file_twice_changes_nothing(conn, sample_csv):
    load.create_schema(conn)
    first = ingest.ingest_file(conn, sample_csv)
    before = rows(conn, sample_csv.name), counts(conn)
    second = ingest.ingest_file(conn, sample_csv)
    assert (rows(conn, sample_csv.name), counts(conn)) == before
    assert (first.loaded, first.rejected) == (second.loaded, second.rejected)


def test_missing_descriptions_and_customers_load_as_null_not_as_text(conn, sample_csv, sample_frame):
    load.create_schema(conn)
    report = ingest.ingest_file(conn, sample_csv)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) - count(description), count(*) - count(customer_id), "
                    "count(*) FILTER (WHERE description IN ('nan', '', 'None')) FROM bronze.raw_transactions")
        no_description, no_customer, as_text = cur.fetchone()
    rejected = 4  # the price rule's rows: 3 without a customer, all with a description
    assert no_description == sample_frame["Description"].isna().sum() > 0
    assert no_customer == sample_frame["CustomerID"].isna().sum() - 3 and as_text == 0
    assert report.loaded == len(sample_frame) - rejected


def test_an_empty_file_loads_nothing_and_reconciles(conn, tmp_path):
    load.create_schema(conn)
    path = tmp_path / "empty.csv"
    path.write_text(",".join(sampledata.COLUMNS) + "\n")
    report = ingest.ingest_file(conn, path)
    assert (report.read, report.loaded, report.rejected) == (0, 0, {})
