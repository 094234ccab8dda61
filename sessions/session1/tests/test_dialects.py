"""Online Retail II (UCI 502): renamed columns, two sheets; detected, reported, loaded like the original."""
import pandas as pd
import pytest

from failurelab import sampledata
from sessions.session1 import cleaning, ingest, load, reader

BRONZE = "SELECT source_line, invoice_no, stock_code, description, quantity, invoice_date, unit_price, customer_id, " \
         "country FROM bronze.raw_transactions WHERE source_file = %s ORDER BY source_line"


def rows(conn, source_file):
    with conn.cursor() as cur:
        cur.execute(BRONZE, (source_file,))
        return cur.fetchall()


def test_both_headers_are_detected_and_anything_else_is_not():
    from sessions.session1 import dialects  # here: the other tests show what the pipeline does without it
    assert dialects.detect(sampledata.COLUMNS) == "online_retail"
    ii = [sampledata.RETAIL_II.get(c, c) for c in sampledata.COLUMNS]
    assert ii == ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    assert dialects.detect(ii) == "online_retail_ii" and dialects.extra_columns([*ii, "Notes"]) == ["Notes"]
    assert dialects.detect(["Invoice", "StockCode", "Price"]) is None


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_retail_ii_export_loads_to_the_same_rows_as_the_original(conn, sample_frame, tmp_path, suffix):
    load.create_schema(conn)
    path = sampledata.write_retail_ii(sample_frame, tmp_path / f"online_retail_II{suffix}")
    report = ingest.ingest_file(conn, path)
    assert report.dialect == "online_retail_ii" and report.warnings == [] and report.summary().startswith(
        f"online_retail_II{suffix} (online_retail_ii header): read 2,000, loaded 1,996 ")
    ingest.ingest_frame(conn, sample_frame, "reference")  # after: the guards would refuse the same invoices
    assert rows(conn, path.name) == rows(conn, "reference")
    with conn.cursor() as cur:
        cur.execute("SELECT dialect FROM bronze.load_log")
        assert cur.fetchall() == [("online_retail_ii",)]
        cur.execute("SELECT (raw->>'UnitPrice')::numeric FROM bronze.rejected_rows WHERE source_file = %s ORDER BY 1",
                    (path.name,))  # kept under the canonical names, whatever the export called them
        assert [float(p) for (p,) in cur.fetchall()] == [-11062.06, -11062.06, 11062.06, 38970.0]


def test_both_sheets_of_a_retail_ii_workbook_are_read_one_after_the_other(sample_frame, tmp_path):
    path = sampledata.write_retail_ii(sample_frame, tmp_path / "online_retail_II.xlsx")
    frame = reader.read_source(path)
    assert frame.attrs["sheets"] == ["Year 2009-2010", "Year 2010-2011"]
    assert len(frame) == 2000 and list(frame["Invoice"]) == list(sample_frame["InvoiceNo"])
    good = cleaning.clean(frame).good
    assert good["source_line"].is_unique and good["source_line"].max() == 2000  # lines go on across the sheets


def test_sheets_that_overlap_in_time_count_each_invoice_once(db, db_env, sample_frame, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = sample_frame.rename(columns=sampledata.RETAIL_II)
    with pd.ExcelWriter(tmp_path / "overlap.xlsx", engine="openpyxl") as book:  # the sheets overlap in time
        out.iloc[:1200].to_excel(book, sheet_name="Year 2009-2010", index=False)
        out.iloc[1000:].to_excel(book, sheet_name="Year 2010-2011", index=False)
    assert ingest.main(["overlap.xlsx"]) == 0
    shared = sorted(set(out["Invoice"].iloc[:1200]) & set(out["Invoice"].iloc[1000:]))
    later = out.iloc[1000:]
    repeated = int(later["Invoice"].isin(shared).sum())  # every line of a shared invoice on the later sheet
    assert capsys.readouterr().err.splitlines()[1:] == [
        f"warning: overlap.xlsx: sheets 'Year 2009-2010' and 'Year 2010-2011' share {len(shared)} invoices (e.g. "
        f"{shared[0]}): their {repeated:,} lines in 'Year 2010-2011' are rejected as repeated_in_earlier_sheet, "
        "not counted twice"]
    conn = db.connect()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.rejected_rows WHERE reason = 'repeated_in_earlier_sheet'")
        assert cur.fetchone()[0] == repeated
        cur.execute("SELECT count(DISTINCT invoice_no) FROM bronze.raw_transactions")
        loaded_invoices = cur.fetchone()[0]
        cur.execute("SELECT rows_read, rows_loaded, rows_rejected FROM bronze.load_log")
        read, loaded, rejected = cur.fetchone()
    conn.close()
    assert read == 2200 and read == loaded + rejected  # nothing lost: 200 lines read twice, kept once as rejected
    assert loaded_invoices <= out["Invoice"].nunique()


def test_an_unknown_header_still_names_every_missing_column(sample_frame):
    frame = sample_frame.rename(columns={"InvoiceNo": "Invoice", "UnitPrice": "Price"})  # half of each dialect
    with pytest.raises(cleaning.MissingColumns, match=r"^missing required columns: InvoiceNo, UnitPrice \(found: "
                                                      r"Invoice, StockCode, .*, Price, CustomerID, Country\); "):
        cleaning.clean(frame)
