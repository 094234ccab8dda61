"""Reading: every real shape is read, anything else is refused with a specific error."""
import gzip
import lzma
import re

import pytest

from failurelab import sampledata
from sessions.session1 import reader


def test_compressed_csv_reads_like_plain(sample_csv, tmp_path):
    plain = reader.read_source(sample_csv)
    for suffix, opener in ((".xz", lzma.open), (".gz", gzip.open)):
        packed = tmp_path / f"online_retail.csv{suffix}"
        with opener(packed, "wb") as f:
            f.write(sample_csv.read_bytes())
        assert reader.read_source(packed).equals(plain)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_the_encoding_is_detected_and_the_header_is_clean(sample_frame, tmp_path, encoding):
    path = sampledata.write_csv(sample_frame, tmp_path / "x.csv", encoding=encoding)
    frame = reader.read_source(path)
    assert list(frame.columns) == sampledata.COLUMNS  # no BOM glued to "InvoiceNo"
    assert frame.attrs["encoding"] == encoding
    assert frame["Description"].str.contains("£").sum() == sample_frame["Description"].str.contains("£").sum()


def test_every_cell_is_read_as_text(sample_csv):
    frame = reader.read_source(sample_csv)
    assert all(frame[c].dtype == "str" for c in frame.columns)
    assert (frame["CustomerID"] == "").any()  # an empty cell stays "", not a guessed NaN


def test_a_binary_file_named_csv_is_refused(sample_xlsx, tmp_path):
    fake = tmp_path / "retail.csv"
    fake.write_bytes(sample_xlsx.read_bytes())
    with pytest.raises(reader.UnreadableSource, match=r"is not a text CSV \(it contains NUL bytes"):
        reader.read_source(fake)


def test_an_empty_csv_is_refused(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(reader.UnreadableSource, match=r"empty\.csv is not a readable CSV \(utf-8\)"):
        reader.read_source(tmp_path / "empty.csv")


def test_an_unknown_extension_is_refused(tmp_path):
    (tmp_path / "retail.parquet").write_bytes(b"PAR1")
    with pytest.raises(reader.UnreadableSource, match=r"unsupported file type '\.parquet'"):
        reader.read_source(tmp_path / "retail.parquet")


def test_an_xlsx_reads_with_both_engines_to_the_same_values(sample_xlsx):
    a, b = (reader.read_source(sample_xlsx, engine=e) for e in ("calamine", "openpyxl"))
    assert list(a.columns) == list(b.columns) == sampledata.COLUMNS and len(a) == len(b) == 2000


def test_a_semicolon_export_is_refused_with_the_reason(sample_frame, tmp_path):
    path = tmp_path / "european.csv"
    sample_frame.to_csv(path, sep=";", index=False)
    with pytest.raises(reader.UnreadableSource, match=r"european\.csv is not comma-separated \(its header is "
                                                      r"'InvoiceNo;StockCode;"):
        reader.read_source(path)


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_a_bad_xlsx_gives_the_same_error_with_either_engine(sample_xlsx, tmp_path, engine):
    text = tmp_path / "text.xlsx"
    text.write_text("InvoiceNo,StockCode\n536365,85123A\n")
    sample_xlsx.write_bytes(sample_xlsx.read_bytes()[:4096])  # an interrupted download
    for bad, what in ((text, "is not an .xlsx file"), (sample_xlsx, "is a damaged .xlsx")):
        with pytest.raises(reader.UnreadableSource, match=rf"^{re.escape(f'{bad} {what}')}"):
            reader.read_source(bad, engine=engine)
