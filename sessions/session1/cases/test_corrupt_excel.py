"""Corrupt Excel file.

Scenario:
    The .xlsx handed to the job is not a workbook: an HTML error page or a CSV
    saved under the .xlsx name, or a real workbook cut short by an interrupted
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
"""
import zipfile

import pandas as pd
import pytest
from python_calamine import CalamineError

from sessions.session1 import reader

pytestmark = pytest.mark.failure_case("data_quality", fix=reader.check_xlsx)


@pytest.fixture
def text_as_xlsx(tmp_path):
    path = tmp_path / "online_retail.xlsx"
    path.write_text("InvoiceNo,StockCode,Description\n536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER\n")
    return path


@pytest.fixture
def truncated_xlsx(sample_xlsx):
    data = sample_xlsx.read_bytes()
    sample_xlsx.write_bytes(data[: len(data) // 2])  # an interrupted download
    return sample_xlsx


def test_wrong_corrupt_excel_openpyxl_says_bad_zip_without_naming_the_file(text_as_xlsx, failure):
    with failure.expect(zipfile.BadZipFile, match=r"^File is not a zip file$"):
        pd.read_excel(text_as_xlsx, engine="openpyxl")


def test_wrong_corrupt_excel_calamine_cannot_detect_a_truncated_workbook(truncated_xlsx, failure):
    with failure.expect(CalamineError, match=r"^Cannot detect file format$"):
        pd.read_excel(truncated_xlsx, engine="calamine")


def test_right_corrupt_excel_a_text_file_is_named_and_explained(text_as_xlsx, solution):
    with pytest.raises(reader.UnreadableSource) as raised:
        solution.check_xlsx(text_as_xlsx)
    assert str(raised.value).startswith(f"{text_as_xlsx} is not an .xlsx file: it starts with b'Invo'")
    assert "re-download or re-export it" in str(raised.value)


def test_right_corrupt_excel_a_truncated_workbook_is_named_and_explained(truncated_xlsx, solution):
    with pytest.raises(reader.UnreadableSource, match=r"is a damaged \.xlsx .*probably truncated") as raised:
        solution.check_xlsx(truncated_xlsx)
    assert str(truncated_xlsx) in str(raised.value)


def test_right_corrupt_excel_a_good_workbook_passes(sample_xlsx, solution):
    assert solution.check_xlsx(sample_xlsx) == sample_xlsx.resolve()
