"""Corrupt Excel file.

Scenario:
    The .xlsx handed to the job is not a workbook: an HTML error page or a CSV
    saved under the .xlsx name, another zip archive (a Word document, a zipped
    CSV) renamed .xlsx, or a real workbook cut short by an interrupted
    download or copy.
Why:
    An .xlsx is a zip archive of XML files, and each Excel engine fails on a bad
    one in its own words: openpyxl raises zipfile.BadZipFile "File is not a zip
    file", calamine raises CalamineError "Cannot detect file format". The
    message does not name the file, says nothing about what to do, and changes
    when the engine changes.
Fix:
    Check the format before parsing: the zip signature, the archive's integrity
    and the workbook part. Raise one engine-independent error that names the
    file, what is wrong with it and what to do, and wrap any engine error the
    same way.
Hints:
    - Do not let an Excel engine be the first to look at the file: an .xlsx is
      a zip archive, and its first four bytes say whether it is one.
    - Starting like a zip is not being a whole one: zipfile.ZipFile opens the
      archive and testzip() reads every part and checks its CRC. A cut or
      damaged workbook fails there with BadZipFile, EOFError or zlib.error, or
      testzip() names the bad part.
    - A Word document or a zipped CSV is a perfectly good zip: a workbook is
      one that holds the workbook part, xl/workbook.xml. Check the names in the
      archive, and name that part in the message.
"""
import re
import struct
import zipfile

import pandas as pd
import pytest
from python_calamine import CalamineError

from failurelab import sampledata
from failurelab.expect import must_raise
from sessions.session1 import reader

pytestmark = pytest.mark.failure_case("data_quality", fix=reader.check_xlsx)

WHAT_TO_DO = r"(?i)re-?export|re-?download|(export|download) it again"
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def text_as_xlsx(tmp_path):
    path = tmp_path / "online_retail.xlsx"
    path.write_text("InvoiceNo,StockCode,Description\n536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER\n")
    return path


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory, sample_frame) -> bytes:
    """The sample as the UCI .xlsx, written once (openpyxl takes a second or two)."""
    return sampledata.write_xlsx(sample_frame, tmp_path_factory.mktemp("xlsx") / "online_retail.xlsx").read_bytes()


@pytest.fixture
def sample_xlsx(tmp_path, workbook_bytes):
    path = tmp_path / "online_retail.xlsx"
    path.write_bytes(workbook_bytes)
    return path


@pytest.fixture
def truncated_xlsx(sample_xlsx):
    data = sample_xlsx.read_bytes()
    sample_xlsx.write_bytes(data[: len(data) // 2])  # an interrupted download
    return sample_xlsx


def part_start(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where a part's compressed bytes begin: after its local header, name and extra field."""
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


@pytest.fixture(params=["bytes_flipped", "checksum_mismatch"])
def damaged_inside_xlsx(request, sample_xlsx):
    """The archive's directory is intact, the sheet's data is not: a bad copy, bit rot."""
    data = bytearray(sample_xlsx.read_bytes())
    with zipfile.ZipFile(sample_xlsx) as archive:
        sheet = archive.getinfo(SHEET)
    if request.param == "bytes_flipped":  # the sheet's first deflate bytes: decompressing fails (zlib.error)
        start = part_start(data, sheet)
        data[start:start + 2] = b"\xff\xff"
    else:  # the sheet inflates, but not to what its CRC-32 says (BadZipFile "Bad CRC-32" when read)
        crc = struct.pack("<I", sheet.CRC)
        assert data.count(crc) == 2  # the local header and the central directory
        data = data.replace(crc, struct.pack("<I", sheet.CRC ^ 1))
    sample_xlsx.write_bytes(bytes(data))
    return sample_xlsx


def docx_as_xlsx(path):
    """A Word document renamed .xlsx: a sound zip with [Content_Types].xml, but no workbook in it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as doc:
        doc.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                     'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        doc.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                     'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                     'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        doc.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.'
                     'org/wordprocessingml/2006/main"><w:body><w:p/></w:body></w:document>')


def zipped_csv_as_xlsx(path):
    """A zip holding one CSV, saved under the .xlsx name."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("online_retail.csv", "InvoiceNo,StockCode\n536365,85123A\n")


def names_file_and_next_step(message: str, path) -> str:
    """Checks the file and the next step are named; gives the message without the path (to look for words)."""
    path = path.resolve()
    assert str(path) in message, f"the message should name the file {path}; yours says {message!r}"
    assert re.search(WHAT_TO_DO, message), (
        f"the message should say what to do: 're-download or re-export it'; yours says {message!r}")
    return message.replace(str(path), "<path>")


def test_wrong_corrupt_excel_openpyxl_says_bad_zip_without_naming_the_file(text_as_xlsx, failure):
    with failure.expect(zipfile.BadZipFile, match=r"^File is not a zip file$"):
        pd.read_excel(text_as_xlsx, engine="openpyxl")


def test_wrong_corrupt_excel_calamine_cannot_detect_a_truncated_workbook(truncated_xlsx, failure):
    with failure.expect(CalamineError, match=r"^Cannot detect file format$"):
        pd.read_excel(truncated_xlsx, engine="calamine")


@pytest.mark.parametrize("content", ["csv", "html", "empty"])
def test_right_corrupt_excel_a_file_that_is_not_a_zip_is_named_and_explained(tmp_path, content, solution):
    path = tmp_path / "online_retail.xlsx"
    path.write_text({"csv": "InvoiceNo,StockCode,Description\n536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER\n",
                     "html": "<!DOCTYPE html><html><body>403 Forbidden</body></html>\n", "empty": ""}[content])
    with must_raise(reader.UnreadableSource, f"a {content} file named .xlsx is not a workbook") as raised:
        solution.check_xlsx(path)
    message = str(raised.value)
    words = names_file_and_next_step(message, path)
    assert re.search(r"not an? (valid |real )?(\.?xlsx|excel|zip)", words, re.I), (
        f"the message should say the file 'is not an .xlsx file'; yours says {message!r}")


def test_right_corrupt_excel_a_truncated_workbook_is_named_and_explained(truncated_xlsx, solution):
    with must_raise(reader.UnreadableSource, "a workbook cut in half is damaged") as raised:
        solution.check_xlsx(truncated_xlsx)
    message = str(raised.value)
    words = names_file_and_next_step(message, truncated_xlsx)
    assert re.search(r"damaged|truncated|corrupt", words, re.I), (
        f"the message should say the .xlsx 'is damaged' (not that it is no .xlsx at all: it starts like one); "
        f"yours says {message!r}")


def test_right_corrupt_excel_a_workbook_damaged_inside_is_named_and_explained(damaged_inside_xlsx, solution):
    with must_raise(reader.UnreadableSource, "a workbook whose sheet data is damaged fails the archive test "
                                             "(read every part, as zipfile's testzip() does)") as raised:
        solution.check_xlsx(damaged_inside_xlsx)
    message = str(raised.value)
    words = names_file_and_next_step(message, damaged_inside_xlsx)
    assert re.search(r"damaged|truncated|corrupt", words, re.I), (
        f"the message should say the .xlsx is damaged; yours says {message!r}")


@pytest.mark.parametrize("make", [zipped_csv_as_xlsx, docx_as_xlsx], ids=["zipped_csv", "word_document"])
def test_right_corrupt_excel_a_zip_that_is_not_a_workbook_is_refused(tmp_path, make, solution):
    path = tmp_path / "online_retail.xlsx"
    make(path)
    with must_raise(reader.UnreadableSource, "a sound zip archive without the workbook part xl/workbook.xml is "
                                             "not an .xlsx") as raised:
        solution.check_xlsx(path)
    message = str(raised.value)
    words = names_file_and_next_step(message, path)
    assert "xl/workbook.xml" in words, f"the message should name the missing part xl/workbook.xml; yours says {message!r}"


def test_right_corrupt_excel_a_missing_file_is_refused_like_any_input(tmp_path, solution):
    with must_raise(reader.SourceFileMissing, "check the path first (reader.check_source): a missing .xlsx "
                                              "raises SourceFileMissing"):
        solution.check_xlsx(tmp_path / "online_retail.xlsx")
    (tmp_path / "export.xlsx").mkdir()
    with must_raise(reader.SourceFileMissing, "a directory named .xlsx is no input file (reader.check_source)"):
        solution.check_xlsx(tmp_path / "export.xlsx")


def test_right_corrupt_excel_a_good_workbook_passes(sample_xlsx, monkeypatch, solution):
    monkeypatch.chdir(sample_xlsx.parent)
    found = solution.check_xlsx(sample_xlsx.name)
    assert found == sample_xlsx.resolve(), (
        f"a good workbook should pass and check_xlsx should return its absolute path {sample_xlsx.resolve()}, "
        f"it returned {found!r}")
