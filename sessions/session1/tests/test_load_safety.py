"""The guards: the same sales never count twice, a file never silently loses its rows or half a row."""
import hashlib
import lzma

import pytest

from failurelab import sampledata
from sessions.session1 import guards, ingest, load


@pytest.fixture
def schema(conn):
    load.create_schema(conn)
    return conn


def counts(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bronze.raw_transactions), "
                    "(SELECT count(*) FROM bronze.rejected_rows)")
        out = cur.fetchone()
    conn.rollback()
    return out


def log(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT source_file, outcome, rows_loaded, detail FROM bronze.load_log ORDER BY load_id")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def test_the_same_content_compressed_under_another_name_is_refused(schema, sample_csv):
    packed = sample_csv.with_name("online_retail.csv.xz")
    packed.write_bytes(lzma.compress(sample_csv.read_bytes()))
    ingest.ingest_file(schema, packed)
    before = counts(schema)
    with pytest.raises(guards.LoadRefused, match=r"^online_retail\.csv has the same content \(sha256 [0-9a-f]{12}\) "
                                                 r"as online_retail\.csv\.xz, already loaded: .* load it with "
                                                 r"--replace online_retail\.csv\.xz$"):
        ingest.ingest_file(schema, sample_csv)
    assert counts(schema) == before == (1996, 4)


@pytest.mark.parametrize("shape", ["latin-1", "utf-8-sig", "xlsx"])
def test_another_export_of_the_same_extract_is_refused_by_its_invoices(schema, sample_frame, tmp_path, shape):
    ingest.ingest_file(schema, sampledata.write_csv(sample_frame, tmp_path / "export.csv"))
    other = (sampledata.write_xlsx(sample_frame, tmp_path / "export2.xlsx") if shape == "xlsx" else
             sampledata.write_csv(sample_frame, tmp_path / "export2.csv", encoding=shape, dates="us"))
    with pytest.raises(guards.LoadRefused, match=rf"^{other.name} shares invoices with sources already loaded "
                                                 r"\([0-9,]+ with export\.csv\): .* --replace export\.csv$"):
        ingest.ingest_file(schema, other)
    assert counts(schema) == (1996, 4)


def test_replace_swaps_the_other_source_in_one_transaction_and_the_log_says_so(schema, sample_frame, tmp_path):
    ingest.ingest_file(schema, sampledata.write_csv(sample_frame, tmp_path / "export.csv"))
    other = sampledata.write_csv(sample_frame, tmp_path / "export2.csv", encoding="latin-1")
    report = ingest.ingest_file(schema, other, replace=["export.csv"])
    assert report.loaded == 1996 and counts(schema) == (1996, 4)
    assert log(schema)[1:] == [("export2.csv", "loaded", 1996, None), (
        "export.csv", "replaced", 0, "1,996 rows and 4 rejected rows deleted by --replace, replaced by export2.csv")]
    with pytest.raises(guards.LoadRefused, match=r"^--replace nothing\.csv: no rows are loaded under that name"):
        ingest.ingest_file(schema, other, replace=["nothing.csv"])


def test_a_header_only_reexport_is_refused_unless_shrinking_is_allowed(schema, sample_csv):
    ingest.ingest_file(schema, sample_csv)
    sample_csv.write_text(",".join(sampledata.COLUMNS) + "\n")
    with pytest.raises(guards.LoadRefused, match=r"^online_retail\.csv would go from 1,996 rows to 0 "
                                                 r"\(less than half\): .*--allow-shrink$"):
        ingest.ingest_file(schema, sample_csv)
    assert counts(schema) == (1996, 4)
    assert ingest.ingest_file(schema, sample_csv, allow_shrink=True).loaded == 0 and counts(schema) == (0, 0)


def test_a_file_of_the_same_name_from_another_folder_is_refused_unless_replaced(schema, sample_frame, tmp_path):
    for month in ("jan", "feb"):
        (tmp_path / month).mkdir()
    first = sampledata.write_csv(sample_frame.head(1000), tmp_path / "jan" / "sales.csv")
    second = sampledata.write_csv(sample_frame.tail(1000), tmp_path / "feb" / "sales.csv")
    ingest.ingest_file(schema, first)
    with pytest.raises(guards.LoadRefused, match=rf"^sales\.csv was loaded from {first}, and this sales\.csv is "
                                                 rf"{second}: .* --replace sales\.csv \(or rename it\)$"):
        ingest.ingest_file(schema, second)
    assert counts(schema)[0] == 1000
    assert ingest.ingest_file(schema, second, replace=["sales.csv"]).loaded == 1000 - 4


@pytest.mark.parametrize("cut, stump", [(b",United", ("Country", "United")),
                                        (b',"PAPER CRAFT', ("Description", "PAPER CRAFT"))])
def test_a_file_cut_mid_row_has_its_last_row_rejected_not_loaded(schema, sample_csv, cut, stump):
    text = sample_csv.read_bytes()
    sample_csv.write_bytes(text[:text.rindex(cut) + len(cut)])  # no newline after it: the copy stopped here
    report = ingest.ingest_file(schema, sample_csv)
    assert report.rejected == {"price_out_of_range": 4, "truncated_last_line": 1} and report.reconciles
    with schema.cursor() as cur:
        cur.execute("SELECT source_line, raw->>%s FROM bronze.rejected_rows WHERE reason = 'truncated_last_line'",
                    (stump[0],))
        assert cur.fetchall() == [(2000, stump[1])]
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_line = 2000")
        assert cur.fetchone() == (0,)  # not loaded as if it were whole (the naive load has Country 'United')


def test_each_load_is_logged_with_what_was_loaded(schema, sample_csv):
    report = ingest.ingest_file(schema, sample_csv)
    with schema.cursor() as cur:
        cur.execute("SELECT source_file, source_path, size_bytes, sha256, dialect, rows_read, rows_loaded, "
                    "rows_rejected, outcome, finished_at >= started_at FROM bronze.load_log")
        assert cur.fetchall() == [(
            "online_retail.csv", str(sample_csv), sample_csv.stat().st_size,
            hashlib.sha256(sample_csv.read_bytes()).hexdigest(), "online_retail", 2000, report.loaded, 4, "loaded",
            True)]
