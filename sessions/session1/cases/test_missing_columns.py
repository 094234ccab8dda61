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
"""
import pandas as pd
import pytest

from sessions.session1 import cleaning

pytestmark = pytest.mark.failure_case("data_quality", fix=cleaning.validate_columns)


@pytest.fixture
def old_export(sample_frame):
    return sample_frame.drop(columns=["UnitPrice", "CustomerID"]).rename(columns={"Country": "Country "})


def naive_clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.dropna(subset=["InvoiceNo"])
    frame["Quantity"] = frame["Quantity"].astype(int)
    frame["Revenue"] = frame["Quantity"] * frame["UnitPrice"]  # the first missing column ends the job here
    return frame[frame["CustomerID"].notna()]


def test_wrong_missing_columns_a_bare_key_error_names_only_the_first(old_export, failure):
    with failure.expect(KeyError, match=r"^'UnitPrice'$"):
        naive_clean(old_export.copy())


def test_right_missing_columns_one_error_names_every_missing_column(old_export, solution):
    with pytest.raises(cleaning.MissingColumns) as raised:
        solution.validate_columns(old_export)
    message = str(raised.value)
    assert message.startswith("missing required columns: UnitPrice, CustomerID, Country (found: InvoiceNo, ")
    assert "Country " in message  # the near miss is visible in the columns found


def test_right_missing_columns_the_pipeline_checks_before_cleaning(old_export, sample_frame, solution):
    assert solution.validate_columns(sample_frame) is None
    with pytest.raises(cleaning.MissingColumns, match="UnitPrice, CustomerID, Country"):
        cleaning.clean(old_export)
