"""Properties of the cleaning step, for any input hypothesis can make up.

Every row is loaded or rejected (never both, never neither); every loaded row
obeys the rules; cleaning what was cleaned changes nothing.
"""
from datetime import datetime

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.session1 import cleaning

junk = st.sampled_from(["", " ", "NOT_A_NUMBER", "abc", "N/A", "nan", "inf", "-", "1e400", "yesterday", "12/31",
                        "2010-12-01T08:26:00+01:00", "2011-13-01 08:26:00", "31/12/2010 8:26"])
when = st.datetimes(min_value=datetime(2010, 12, 1), max_value=datetime(2011, 12, 9, 23, 59)).map(
    lambda d: d.replace(second=0, microsecond=0))

valid = {
    "InvoiceNo": st.one_of(st.integers(536365, 581587).map(str), st.integers(536365, 581587).map(lambda n: f"C{n}")),
    "StockCode": st.sampled_from(["85123A", "15056bl", "POST", "M", "B", " 22423 "]),
    "Description": st.one_of(st.sampled_from(["WHITE METAL LANTERN", " OVAL WALL MIRROR ", "?", ""]), st.text()),
    "Quantity": st.one_of(st.integers(-80995, 80995).map(str), st.integers(-5, 5).map(lambda n: f"{n}.0")),
    "InvoiceDate": st.one_of(when.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
                             when.map(lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}")),
    "UnitPrice": st.decimals(-100, 12000, places=2).map(str),
    "CustomerID": st.one_of(st.integers(12346, 18287).map(lambda n: f"{n}.0"), st.integers(12346, 18287).map(str),
                            st.just("")),
    "Country": st.sampled_from(["United Kingdom", "EIRE", "  France "]),
}
broken = {  # anything goes: values real files have held, and made-up text
    "InvoiceNo": st.one_of(valid["InvoiceNo"], junk, st.text(max_size=6)),
    "StockCode": st.one_of(valid["StockCode"], junk),
    "Description": st.one_of(valid["Description"], junk),
    "Quantity": st.one_of(valid["Quantity"], junk, st.integers(2**31 - 2, 2**33).map(str)),
    "InvoiceDate": st.one_of(valid["InvoiceDate"], junk),
    "UnitPrice": st.one_of(valid["UnitPrice"], st.sampled_from(["-11062.06", "38970.0", "0.0", "10000", "0.001"]),
                           junk),
    "CustomerID": st.one_of(valid["CustomerID"], st.integers(0, 18287).map(str), junk),
    "Country": st.one_of(valid["Country"], junk),
}
rows = st.lists(st.one_of(st.fixed_dictionaries(valid), st.fixed_dictionaries(broken)), max_size=40)
frames = rows.map(lambda r: pd.DataFrame(r, columns=cleaning.COLUMNS, dtype="str"))
VALUES = ["invoice_no", "stock_code", "description", "quantity", "invoice_date", "unit_price", "customer_id",
          "country", "is_cancellation", "is_duplicate"]


@given(frames)
@settings(max_examples=100)
def test_every_row_is_loaded_or_rejected_exactly_once(frame):
    result = cleaning.clean(frame)
    lines = sorted([*result.good["source_line"], *result.rejected["source_line"]])
    assert lines == list(range(1, len(frame) + 1))
    assert set(result.rejected["reason"]) <= {
        "missing_invoice_no", "missing_stock_code", "missing_country", "invalid_quantity", "invalid_invoice_date",
        "invalid_unit_price", "invalid_customer_id", "zero_quantity", "price_out_of_range",
        "cancellation_not_negative"}


@given(frames)
@settings(max_examples=100)
def test_every_loaded_row_obeys_the_rules(frame):
    good = cleaning.clean(frame).good
    assert good["unit_price"].between(cleaning.PRICE_MIN, cleaning.PRICE_MAX).all()
    assert (good["quantity"] != 0).all() and good["quantity"].abs().le(2**31 - 1).all()
    assert (good.loc[good["is_cancellation"], "quantity"] < 0).all()
    assert good["is_cancellation"].equals(good["invoice_no"].str.startswith("C"))
    assert good[["invoice_no", "stock_code", "country", "invoice_date"]].notna().all().all()
    assert (good["customer_id"].dropna() > 0).all()


@given(frames)
@settings(max_examples=100)
def test_cleaning_is_idempotent(frame):
    once = cleaning.clean(frame).good
    twice = cleaning.clean(cleaning.as_source(once))
    assert twice.rejected.empty
    pd.testing.assert_frame_equal(twice.good[VALUES], once[VALUES].reset_index(drop=True))


@given(rows)
@settings(max_examples=60)
def test_reading_as_text_or_typed_gives_the_same_rows(records):
    """A CSV arrives as text, a spreadsheet with numbers: the cleaned rows must not depend on it."""
    text = pd.DataFrame(records, columns=cleaning.COLUMNS, dtype="str")
    typed = cleaning.as_source(cleaning.clean(text).good)
    back_to_text = typed.astype(object).map(lambda v: "" if pd.isna(v) else str(v))
    pd.testing.assert_frame_equal(cleaning.clean(back_to_text).good[VALUES], cleaning.clean(typed).good[VALUES])
