"""Missing required columns.

Scenario:
    The file has a different header than the code expects: an export with
    columns left out, a renamed column ("Price" instead of "UnitPrice"), or the
    wrong file altogether.
Why:
    The naive cleaning uses the columns where it needs them, so the first one
    missing raises a bare KeyError 'UnitPrice' deep inside the cleaning, after
    work is done. It names one column only: fix it, run again, and meet the
    next one.
Fix:
    Validate the header up front, before any work: compare it with the required
    columns and raise one error naming every missing column and the columns
    that were found.
Hints:
    - Compare the header with the list of required columns before touching any
      data, and collect every missing name instead of stopping at the first.
    - One missing column is already an error, and names are compared exactly
      as clean() will use them: 'customerid' or 'Country ' is not the column.
    - Keep COLUMNS' order in the message and list what WAS found too, each name
      turned into text (a file read without its header has columns 0, 1, ...).
"""
import pandas as pd
import pytest

from failurelab.expect import must_raise
from sessions.session1 import cleaning

pytestmark = pytest.mark.failure_case("data_quality", fix=cleaning.validate_columns)

PREFIX = "missing required columns: "


@pytest.fixture
def old_export(sample_frame):
    return sample_frame.drop(columns=["UnitPrice", "CustomerID"]).rename(columns={"Country": "Country "})


def naive_clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.dropna(subset=["InvoiceNo"])
    frame["Quantity"] = frame["Quantity"].astype(int)
    frame["Revenue"] = frame["Quantity"] * frame["UnitPrice"]  # the first missing column ends the job here
    return frame[frame["CustomerID"].notna()]


def refused(solution, frame: pd.DataFrame, missing: list[str]) -> str:
    """validate_columns(frame) must raise MissingColumns naming exactly ``missing``, in COLUMNS order."""
    with must_raise(cleaning.MissingColumns, f"a header without {', '.join(missing)} must be refused") as raised:
        solution.validate_columns(frame)
    message = str(raised.value)
    expected = f"{PREFIX}{', '.join(missing)} ("
    assert message.startswith(expected), (
        f"the message should start with {expected!r} (every missing column, in the order of COLUMNS, then the "
        f"columns found); yours says {message!r}")
    found = message[len(expected):]
    assert found.startswith("found"), f"after the missing columns, say '(found: ...)'; yours says {message!r}"
    for column in frame.columns:
        assert str(column) in found, (
            f"the columns found should be listed as they are written, {str(column)!r} among them; "
            f"yours says {message!r}")
    return message


def test_wrong_missing_columns_a_bare_key_error_names_only_the_first(old_export, failure):
    with failure.expect(KeyError, match=r"^'UnitPrice'$"):
        naive_clean(old_export.copy())


def test_right_missing_columns_one_error_names_every_missing_column(old_export, solution):
    refused(solution, old_export, ["UnitPrice", "CustomerID", "Country"])  # "Country " is a near miss, not Country


def test_right_missing_columns_a_single_renamed_column_is_named(sample_frame, solution):
    refused(solution, sample_frame.rename(columns={"UnitPrice": "Price"}), ["UnitPrice"])
    refused(solution, sample_frame.drop(columns=["InvoiceNo"]), ["InvoiceNo"])


def test_right_missing_columns_near_misses_in_case_or_spaces_are_missing(sample_frame, solution):
    """clean() reads frame["CustomerID"]: 'customerid' or ' CustomerID' would fail there, so they are missing here."""
    frame = sample_frame.rename(columns={"CustomerID": "customerid", "InvoiceDate": " InvoiceDate", "Country": "COUNTRY"})
    refused(solution, frame, ["InvoiceDate", "CustomerID", "Country"])


def test_right_missing_columns_a_file_without_its_header_is_named_in_full(sample_frame, solution):
    """Read with header=None, the columns are 0, 1, ... 7: every required column is missing."""
    headerless = pd.DataFrame(sample_frame.head(5).to_numpy())
    refused(solution, headerless, cleaning.COLUMNS)
    refused(solution, pd.DataFrame(), cleaning.COLUMNS)


def test_right_missing_columns_a_complete_header_passes_in_any_order_with_extras(sample_frame, solution):
    shuffled = sample_frame[list(reversed(cleaning.COLUMNS))].assign(Revenue=1.0, Notes="")
    for what, frame in (("the export's own header", sample_frame),
                        ("every required column, in another order, with extra columns Revenue and Notes", shuffled)):
        try:
            result = solution.validate_columns(frame)
        except Exception as err:
            pytest.fail(f"only missing columns are an error: {what} should pass, your check raised "
                        f"{type(err).__name__}: {err}", pytrace=False)
        assert result is None, f"{what} should pass and return None, your check returned {result!r}"


def test_right_missing_columns_the_pipeline_checks_before_cleaning(old_export, sample_frame, monkeypatch, solution):
    monkeypatch.setattr(cleaning, "validate_columns", solution.validate_columns)  # the pipeline, with your check
    with must_raise(cleaning.MissingColumns, "clean() with your check must stop at the header, before any work",
                    match=r"UnitPrice, CustomerID, Country \("):
        cleaning.clean(old_export)
    cleaned = cleaning.clean(sample_frame.head(50))
    assert len(cleaned.good) + len(cleaned.rejected) == 50, "with your check, a complete file should clean as before"
