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
Hints:
    - Never cast a whole column with astype(int): convert with
      pd.to_numeric(..., errors='coerce'), so a bad value becomes NaN instead of
      an exception, and compare what was there with what converted.
    - Converted is not yet valid: 2.5 converts but is no quantity, 17850.0 is a
      whole customer number, and a blank Quantity, UnitPrice or InvoiceDate is
      missing, while a blank CustomerID is a guest checkout and fine.
    - Dates come in two shapes; try each format explicitly (format=...) and
      keep what either one parsed: without a format pandas guesses one from the
      first value. Then every row ends up once, in good or in rejected, with
      its position as source_line and the first rule it broke.
"""
import itertools
import json

import pandas as pd
import pytest

from failurelab import sampledata
from sessions.session1 import cleaning, reader

pytestmark = pytest.mark.failure_case("data_quality", fix=cleaning.clean)

VALUES = ["invoice_no", "stock_code", "description", "quantity", "invoice_date", "unit_price", "customer_id", "country"]
TYPES = {"quantity": ("int64", pd.api.types.is_integer_dtype), "unit_price": ("float64", pd.api.types.is_float_dtype),
         "customer_id": ("Int64", lambda t: pd.api.types.is_integer_dtype(t) and pd.api.types.is_extension_array_dtype(t))}
BAD = {11: ("Quantity", "NOT_A_NUMBER", "invalid_quantity"), 21: ("UnitPrice", "abc", "invalid_unit_price"),
       31: ("InvoiceDate", "yesterday", "invalid_invoice_date"), 41: ("CustomerID", "N/A", "invalid_customer_id")}
A_LINE = {"InvoiceNo": "536365", "StockCode": "85123A", "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
          "Quantity": "6", "InvoiceDate": "2010-12-01 08:26:00", "UnitPrice": "2.55", "CustomerID": "17850.0",
          "Country": "United Kingdom"}
# One cell changed from a valid line -> the reason due, or the value the good row holds in that column.
CELLS = [
    ("Quantity", "6", ("quantity", 6)), ("Quantity", "-12", ("quantity", -12)), ("Quantity", "6.0", ("quantity", 6)),
    ("Quantity", "2.5", "invalid_quantity"), ("Quantity", "", "invalid_quantity"), ("Quantity", "six", "invalid_quantity"),
    ("Quantity", "99999999999", "invalid_quantity"),  # beyond a PostgreSQL integer
    ("InvoiceDate", "2010-12-01 08:26:00", ("invoice_date", pd.Timestamp("2010-12-01 08:26"))),
    ("InvoiceDate", "12/1/2010 8:26", ("invoice_date", pd.Timestamp("2010-12-01 08:26"))),
    ("InvoiceDate", "1/13/2011 9:05", ("invoice_date", pd.Timestamp("2011-01-13 09:05"))),
    ("InvoiceDate", "yesterday", "invalid_invoice_date"), ("InvoiceDate", "", "invalid_invoice_date"),
    # dates a lenient parser (format="mixed", dateutil) reads, but in neither of the two stated formats
    ("InvoiceDate", "2010-12-01T08:26:00", "invalid_invoice_date"),
    ("InvoiceDate", "1 Dec 2010 08:26", "invalid_invoice_date"),
    ("InvoiceDate", "13/1/2011 9:05", "invalid_invoice_date"),  # day first: there is no month 13
    ("UnitPrice", "2.55", ("unit_price", 2.55)), ("UnitPrice", "0", ("unit_price", 0.0)),
    ("UnitPrice", "abc", "invalid_unit_price"), ("UnitPrice", "", "invalid_unit_price"),
    ("CustomerID", "17850", ("customer_id", 17850)), ("CustomerID", "17850.0", ("customer_id", 17850)),
    ("CustomerID", "", ("customer_id", pd.NA)),  # a guest checkout: no customer, a valid sale
    ("CustomerID", "N/A", "invalid_customer_id"), ("CustomerID", "17850.5", "invalid_customer_id"),
    ("CustomerID", "0", "invalid_customer_id"), ("CustomerID", "-17850", "invalid_customer_id"),
]


@pytest.fixture
def csv_frame(tmp_path, sample_frame):
    """The first 400 sample rows as reader.read_csv gives them: every cell text, "" when empty."""
    return reader.read_csv(sampledata.write_csv(sample_frame.head(400), tmp_path / "online_retail.csv"))


@pytest.fixture
def typo_frame(csv_frame):
    frame = csv_frame.copy()
    for line, (column, value, _) in BAD.items():
        frame.loc[line - 1, column] = value
    return frame


def cleaned(solution, frame: pd.DataFrame):
    result = solution.clean(frame)
    for part, columns in (("good", ["source_line", *VALUES]), ("rejected", ["source_line", "reason", "raw"])):
        table = getattr(result, part, None)
        assert isinstance(table, pd.DataFrame), f"clean() should return Cleaned(good, rejected) of DataFrames; " \
                                                f"its {part} is {type(table).__name__}"
        lacking = [c for c in columns if c not in table.columns]
        assert not lacking, f"Cleaned.{part} should have the columns {columns}; yours lacks {lacking}"
    return result


def reasons_of(result) -> dict[int, str]:
    return {int(line): str(reason) for line, reason in zip(result.rejected["source_line"], result.rejected["reason"])}


def every_row_once(result, n: int) -> None:
    good, rejected = list(result.good["source_line"]), list(result.rejected["source_line"])
    both = sorted(map(int, good + rejected))
    assert both == list(range(1, n + 1)), (
        f"every row should end up once, in good or in rejected, with source_line 1..{n} (its position in the frame); "
        f"yours has {len(good)} good + {len(rejected)} rejected, lines {both[:3]} ... {both[-3:]}, "
        f"{len(both) - len(set(both))} line(s) twice")


def test_wrong_invalid_schema_a_cast_fails_on_the_first_bad_value(typo_frame, failure):
    with failure.expect(ValueError, match=r"^invalid literal for int\(\) with base 10: 'NOT_A_NUMBER'$"):
        typo_frame["Quantity"].astype(int)


def test_right_invalid_schema_bad_rows_are_quarantined_with_reasons(typo_frame, solution):
    result = cleaned(solution, typo_frame)
    every_row_once(result, len(typo_frame))
    reasons = reasons_of(result)
    for line, (column, value, reason) in BAD.items():
        assert reasons.get(line) == reason, (
            f"line {line} ({column} {value!r}) should be rejected as {reason!r}; yours: {reasons.get(line, 'good')!r}")
    valid = {line: reason for line, reason in reasons.items() if line not in BAD}
    assert not valid, (
        f"only the 4 typos should be rejected, but your clean also rejected {len(valid)} valid rows, e.g. line "
        f"{next(iter(valid))} as {next(iter(valid.values()))!r}: "
        f"{typo_frame.iloc[next(iter(valid)) - 1].to_dict()}. A blank CustomerID (a guest checkout), a blank "
        "Description, a negative Quantity (a return, a C-invoice cancellation) or a price of 0 are valid")
    raw = json.loads(result.rejected.set_index("source_line").loc[11, "raw"])
    assert raw.get("Quantity") == "NOT_A_NUMBER" and raw.get("InvoiceNo") == typo_frame.loc[10, "InvoiceNo"], (
        f"raw should be the row as read, as JSON with the source column names ({{'Quantity': 'NOT_A_NUMBER', ...}}); "
        f"line 11's raw is {raw}")


def test_right_invalid_schema_good_rows_are_typed(typo_frame, solution):
    good = cleaned(solution, typo_frame).good
    for column, (dtype, fits) in TYPES.items():
        assert fits(good[column].dtype), f"good.{column} should be {dtype}, yours is {good[column].dtype}"
    assert pd.api.types.is_datetime64_dtype(good["invoice_date"]), (
        f"good.invoice_date should be datetime64 without a time zone, yours is {good['invoice_date'].dtype}")
    assert {11, 21, 31, 41}.isdisjoint(good["source_line"]), "a rejected line must not also be in good"
    blank = typo_frame.index[typo_frame["CustomerID"] == ""] + 1
    kept = good[good["source_line"].isin(blank)]
    assert len(kept) == len(blank) and kept["customer_id"].isna().all(), (
        f"the {len(blank)} rows with a blank CustomerID (guest checkouts) should be good, with customer_id <NA>; "
        f"yours kept {len(kept)}, customer_id {kept['customer_id'].head(3).tolist()}")


def test_right_invalid_schema_each_cell_is_judged_by_its_rule(solution):
    rows = [{**A_LINE, "InvoiceNo": f"5{n:05d}", column: value} for n, (column, value, _) in enumerate(CELLS, 1)]
    result = cleaned(solution, pd.DataFrame(rows, dtype="str"))
    every_row_once(result, len(rows))
    reasons = reasons_of(result)
    good = result.good.set_index("source_line")
    for line, (column, value, due) in enumerate(CELLS, 1):
        if isinstance(due, str):
            assert reasons.get(line) == due, (
                f"{column} {value!r} should be rejected as {due!r}; your clean: {reasons.get(line, 'good')!r}")
            continue
        field, expected = due
        assert line in good.index, (
            f"{column} {value!r} is valid: the row {rows[line - 1]} should be good with {field} {expected!r}; "
            f"your clean rejected it as {reasons.get(line)!r}")
        got = good.loc[line, field]
        same = pd.isna(got) if expected is pd.NA else (not pd.isna(got) and got == expected)
        assert same and good.loc[line, "invoice_no"] == rows[line - 1]["InvoiceNo"], (
            f"{column} {value!r} should give {field} {expected!r}; your good row (line {line}) has {got!r}"
            f"{'' if good.loc[line, 'invoice_no'] == rows[line - 1]['InvoiceNo'] else ' and another rows values'}")


def test_right_invalid_schema_the_first_broken_rule_in_column_order_is_the_reason(solution):
    order = [("Quantity", "x", "invalid_quantity"), ("InvoiceDate", "soon", "invalid_invoice_date"),
             ("UnitPrice", "abc", "invalid_unit_price"), ("CustomerID", "N/A", "invalid_customer_id")]
    broken = [list(pair) for pair in itertools.combinations(order, 2)] + [order]  # every pair, then all four
    rows = [{**A_LINE, "InvoiceNo": f"5{n:05d}", **{column: value for column, value, _ in rules}}
            for n, rules in enumerate(broken, 1)]
    reasons = reasons_of(cleaned(solution, pd.DataFrame(rows, dtype="str")))
    for line, rules in enumerate(broken, 1):
        due = rules[0][2]
        assert reasons.get(line) == due, (
            f"a row breaking several rules gets the first, in the order Quantity, InvoiceDate, UnitPrice, CustomerID: "
            f"a row with {' and '.join(f'{c} {v!r}' for c, v, _ in rules)} should be rejected as {due!r}; "
            f"yours: {reasons.get(line, 'good')!r}")


def test_right_invalid_schema_lines_are_positions_and_the_input_is_left_alone(typo_frame, solution):
    batch = typo_frame.set_axis(typo_frame.index * 3 + 1000)  # a batch cut from a larger frame keeps its index
    before = batch.copy()
    result = cleaned(solution, batch)
    every_row_once(result, len(batch))
    reasons = reasons_of(result)
    assert {line: reasons.get(line) for line in BAD} == {line: r for line, (_, _, r) in BAD.items()}, (
        f"source_line is the row's position (1 = the first row), whatever the frame's index: lines 11, 21, 31, 41 "
        f"should be rejected; yours rejected {sorted(reasons)[:8]}")
    changed = [c for c in before.columns if not before[c].equals(batch[c])]
    assert not changed and before.index.equals(batch.index), (
        f"clean() must not change the frame it is given (the rows as read stay for the quarantine); yours changed "
        f"{changed or 'its index'}")
