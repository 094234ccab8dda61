"""Invalid data types.

Scenario:
    A column that should hold numbers holds text in some rows: "NOT_A_NUMBER"
    typed into Quantity, "abc" in UnitPrice, a date like "yesterday", "N/A" as
    a customer. One bad cell among thousands of good rows.
Why:
    The naive cleaning casts the column, Quantity.astype(int), and Python's int()
    raises ValueError "invalid literal for int() with base 10" on the first bad
    value: the whole file fails, the message does not say which row, and the
    good rows are not loaded either.
Fix:
    Coerce each column with errors="coerce", find the values that did not
    convert, quarantine those rows with a reason naming the column, and load the
    good ones. Rows in = rows loaded + rows rejected.
"""
import json

import pandas as pd
import pytest

from sessions.session1 import cleaning

pytestmark = pytest.mark.failure_case("data_quality", fix=cleaning.clean)


@pytest.fixture
def typo_frame(sample_frame):
    frame = sample_frame.head(200).astype(str).replace({"nan": "", "NaT": ""})  # as a CSV is read: all text
    frame.loc[10, "Quantity"] = "NOT_A_NUMBER"
    frame.loc[20, "UnitPrice"] = "abc"
    frame.loc[30, "InvoiceDate"] = "yesterday"
    frame.loc[40, "CustomerID"] = "N/A"
    return frame


def test_wrong_invalid_schema_a_cast_fails_on_the_first_bad_value(typo_frame, failure):
    with failure.expect(ValueError, match=r"^invalid literal for int\(\) with base 10: 'NOT_A_NUMBER'$"):
        typo_frame["Quantity"].astype(int)


def test_right_invalid_schema_bad_rows_are_quarantined_with_reasons(typo_frame, solution):
    result = solution.clean(typo_frame)
    reasons = dict(zip(result.rejected["source_line"], result.rejected["reason"]))
    assert {11: "invalid_quantity", 21: "invalid_unit_price", 31: "invalid_invoice_date",
            41: "invalid_customer_id"}.items() <= reasons.items()
    assert json.loads(result.rejected.set_index("source_line").loc[11, "raw"])["Quantity"] == "NOT_A_NUMBER"
    assert len(result.good) + len(result.rejected) == len(typo_frame)


def test_right_invalid_schema_good_rows_are_typed(typo_frame, solution):
    good = solution.clean(typo_frame).good
    assert good["quantity"].dtype == "int64" and good["unit_price"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(good["invoice_date"])
    assert good["customer_id"].dtype == "Int64"
    assert {11, 21, 31, 41}.isdisjoint(good["source_line"])
