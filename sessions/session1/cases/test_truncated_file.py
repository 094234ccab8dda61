"""A file cut mid-row.

Scenario:
    The export, the copy or the download stopped part-way: online_retail.csv
    ends in the middle of its last row, `C581484,23843,"PAPER CRAFT , LITTLE
    BIRDIE",-80995,2011-12-09 09:27:00,2.08,16446.0,United`, with no newline
    after it. The same happens to a .csv.xz compressed after the cut.
Why:
    A CSV reader cannot tell a cut row from a short one. Cut inside a quoted
    field, pandas at least fails: ParserError "EOF inside string starting at
    row 2000". Cut anywhere else, it reads the stump as a row, the missing
    cells empty; cut in the last column, the row is complete and wrong:
    Country `United`. The values are well-formed, cleaning passes them, the
    row loads and the counts reconcile: wrong data, no error. What gives the
    cut away is the end of the file: every exporter ends its last row with a
    newline.
Fix:
    Check the end before trusting the last row: guards.cut_last_line(path)
    says whether the file's content (decompressed, for .csv.xz/.gz/.bz2) is
    not empty and does not end in a newline. The pipeline then quarantines
    that last row in bronze.rejected_rows with the reason truncated_last_line,
    loads the rest (counts still reconcile) and says so; re-export or
    re-download the file to get the row back.
Hints:
    - What does every exporter write after the last row that a cut file lacks?
      An empty file lacks it too, but has nothing to lose.
    - For a compressed file, whose last byte tells you: the .xz file's, or the
      text's inside it?
    - Not every export is UTF-8: a Latin-1 file (a £ sign as one byte 0xA3) is
      a text file too. Do you need to decode anything to find its last byte?
"""
import bz2
import gzip
import lzma

import pandas as pd
import pytest

from failurelab import sampledata
from sessions.session1 import cleaning, guards, load

pytestmark = pytest.mark.failure_case("data_quality", fix=guards.cut_last_line)

LAST = 'C581484,23843,"PAPER CRAFT , LITTLE BIRDIE",-80995,2011-12-09 09:27:00,2.08,16446.0,United Kingdom\n'
COMPRESSORS = {".xz": lzma.compress, ".gz": gzip.compress, ".bz2": bz2.compress}


def cut(text: str, at: str) -> str:
    """The file's text cut right after the first `at` of its last row (no newline after it)."""
    assert text.endswith(LAST), f"the sample should end with {LAST!r}"
    return text[:len(text) - len(LAST)] + LAST[:LAST.index(at) + len(at)]


@pytest.fixture
def sample_text(sample_csv) -> str:
    return sample_csv.read_text(encoding="utf-8")


def write(path, data: str | bytes, encoding="utf-8"):
    """Write text (or bytes) as they are, compressed by the file's last suffix if it is .xz/.gz/.bz2."""
    raw = data if isinstance(data, bytes) else data.encode(encoding)
    path.write_bytes(COMPRESSORS.get(path.suffix.lower(), lambda b: b)(raw))
    return path


def test_wrong_truncated_file_cut_inside_quotes_pandas_fails(tmp_path, sample_text, failure):
    cut_csv = write(tmp_path / "online_retail.csv", cut(sample_text, '"PAPER CRAFT , LI'))
    with failure.expect(pd.errors.ParserError, match=r"EOF inside string starting at row \d+"):
        pd.read_csv(cut_csv, dtype=str, keep_default_na=False)


def test_wrong_truncated_file_cut_anywhere_else_the_stump_loads_silently(conn, tmp_path, sample_text, sample_frame):
    cut_csv = write(tmp_path / "online_retail.csv", cut(sample_text, ",United"))
    frame = pd.read_csv(cut_csv, dtype=str, keep_default_na=False)  # as the reader reads a CSV: every cell text
    cleaned = cleaning.clean(frame)
    load.create_schema(conn)
    with conn.cursor() as cur:
        load.copy_frame(cur, cleaned.good.assign(source_file=cut_csv.name), "bronze.raw_transactions",
                        load.RAW_COLUMNS)
        cur.execute("SELECT country FROM bronze.raw_transactions ORDER BY source_line DESC LIMIT 1")
        assert cur.fetchone() == ("United",)  # the stump, loaded as a country
    conn.commit()
    assert len(frame) == len(sample_frame) == len(cleaned.good) + len(cleaned.rejected)  # and the counts reconcile


def verdicts(solution, cases: dict) -> dict:
    """{file name: what the fix said} where it differs from the expected answer."""
    out = {}
    for path, expected in cases.items():
        try:
            said = solution.cut_last_line(path)
        except Exception as err:  # noqa: BLE001 - reported in words
            out[path.name] = f"raised {type(err).__name__}: {err}"
            continue
        if bool(said) != expected:  # what the pipeline does with it: `if cut_last_line(path):`
            out[path.name] = said
    return out


def test_right_truncated_file_a_cut_csv_is_found_and_a_whole_one_is_not(tmp_path, sample_csv, sample_text,
                                                                          solution):
    cases = {sample_csv: False,
             write(tmp_path / "cut_in_country.csv", cut(sample_text, ",United")): True,
             write(tmp_path / "cut_in_price.csv", cut(sample_text, ",2.")): True,
             write(tmp_path / "cut_in_quotes.csv", cut(sample_text, '"PAPER CRAFT , LI')): True,
             write(tmp_path / "cut_after_a_comma.csv", cut(sample_text, "16446.0,")): True}
    wrong = verdicts(solution, cases)
    assert not wrong, (f"cut_last_line should return True for a file whose last row has no newline after it (it "
                       f"was cut; all 8 fields may still be there), False for the whole sample: yours said {wrong}")
    said = solution.cut_last_line(str(sample_csv))
    assert not said, f"cut_last_line takes a str path too: for the whole sample as a str it returned {said!r}"


def test_right_truncated_file_line_endings_encodings_and_the_empty_file(tmp_path, sample_text, solution):
    windows = sample_text.replace("\n", "\r\n")
    pound = "gift_0001_20,Dotcomgiftshop Gift Voucher £20.00"
    cases = {write(tmp_path / "windows.csv", windows): False,
             write(tmp_path / "windows_cut.csv", windows[:-2]): True,
             write(tmp_path / "latin1.csv", f"{sample_text}{pound}\n", "latin-1"): False,
             write(tmp_path / "latin1_cut.csv", f"{sample_text}{pound}", "latin-1"): True,
             write(tmp_path / "bom.csv", "\ufeff" + sample_text): False,
             write(tmp_path / "blank_line_at_the_end.csv", sample_text + "\n"): False,
             write(tmp_path / "empty.csv", b""): False}
    wrong = verdicts(solution, cases)
    assert not wrong, ("cut_last_line looks at the last byte: a newline (\\n, also the end of \\r\\n) means whole, "
                       "anything else cut; an empty file is not cut; a Latin-1 file (£ as byte 0xA3) must not make "
                       f"it fail (read bytes, do not decode): yours said {wrong}")


def test_right_truncated_file_compressed_files_are_judged_by_their_text(tmp_path, sample_text, solution):
    cases = {}
    for suffix in (".xz", ".gz", ".bz2"):
        cases[write(tmp_path / f"online_retail.csv{suffix}", sample_text)] = False
        cases[write(tmp_path / f"cut.csv{suffix}", cut(sample_text, ",United"))] = True
        cases[write(tmp_path / f"empty.csv{suffix}", b"")] = False
    cases[write(tmp_path / "EXPORT.CSV.GZ", sample_text)] = False
    cases[write(tmp_path / "EXPORT_CUT.CSV.XZ", cut(sample_text, ",2."))] = True
    wrong = verdicts(solution, cases)
    assert not wrong, ("for .csv.xz, .csv.gz and .csv.bz2 (by the extension, in any letter case), judge the "
                       "decompressed text (lzma/gzip/bz2.open), not the compressed file's own last byte: yours said "
                       f"{wrong}")
