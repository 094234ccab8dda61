"""Attempts at invalid_schema (spoilers): what students hand in, and the verdict due.

Most attempts share one student's skeleton (``student_clean``) and differ in how
they read one column: the parsers below are the pieces students get wrong.
Each parser takes the column as text and gives (values, broken) where broken
is True for a value that breaks the column's rule.
"""
import json
from datetime import datetime

import numpy as np
import pandas as pd

from failurelab.attempts import right, wrong
from sessions.session1.cleaning import COLUMNS, Cleaned

INT_MAX = 2**31 - 1
FORMATS = ("%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M")


def quantity_whole(s):
    q = pd.to_numeric(s, errors="coerce")
    return q, ~(q.notna() & np.isfinite(q) & (q % 1 == 0) & (q.abs() <= INT_MAX))


def dates_two_formats(s):
    iso = pd.to_datetime(s, format=FORMATS[0], errors="coerce")
    us = pd.to_datetime(s, format=FORMATS[1], errors="coerce")
    d = iso.fillna(us)
    return d, d.isna()


def price_number(s):
    p = pd.to_numeric(s, errors="coerce")
    return p, p.isna() | ~np.isfinite(p)


def customer_optional(s):
    c = pd.to_numeric(s, errors="coerce")
    present = s.fillna("").str.strip() != ""
    return c, present & ~(c.notna() & (c % 1 == 0) & (c > 0))


def student_clean(frame, quantity=quantity_whole, dates=dates_two_formats, price=price_number,
                  customer=customer_optional, lines=None,
                  order=("invalid_quantity", "invalid_invoice_date", "invalid_unit_price", "invalid_customer_id")):
    src = frame[COLUMNS].reset_index(drop=True)
    source_line = pd.Series(np.arange(1, len(src) + 1) if lines is None else lines(frame), index=src.index)
    q, bad_q = quantity(src["Quantity"])
    d, bad_d = dates(src["InvoiceDate"])
    p, bad_p = price(src["UnitPrice"])
    c, bad_c = customer(src["CustomerID"])
    reason = pd.Series(None, index=src.index, dtype=object)
    broken = {"invalid_quantity": bad_q, "invalid_invoice_date": bad_d,
              "invalid_unit_price": bad_p, "invalid_customer_id": bad_c}
    for name, bad in ((name, broken[name]) for name in order):
        reason[reason.isna() & bad.fillna(True).astype(bool)] = name
    bad = reason.notna()
    rejected = pd.DataFrame({"source_line": source_line[bad].to_numpy(), "reason": reason[bad].to_numpy(),
                             "raw": [json.dumps(r) for r in src[bad].to_dict("records")]})
    ok = ~bad
    good = pd.DataFrame({"source_line": source_line[ok], "invoice_no": src["InvoiceNo"][ok],
                         "stock_code": src["StockCode"][ok], "description": src["Description"][ok],
                         "quantity": q[ok].astype("int64"), "invoice_date": d[ok], "unit_price": p[ok].astype("float64"),
                         "customer_id": c[ok].round().astype("Int64"), "country": src["Country"][ok]})
    return Cleaned(good.reset_index(drop=True), rejected)


@right("the skeleton above: one parser per column, two explicit date formats combined with fillna")
class ParserPerColumn:
    def clean(frame):
        return student_clean(frame)


@right("row by row in plain Python: float()/is_integer(), datetime.strptime per format, no pandas coercion")
class RowByRow:
    def clean(frame):
        def whole(text, positive=False):
            try:
                x = float(text)
            except ValueError:
                return None
            if not x.is_integer() or abs(x) > INT_MAX or (positive and x <= 0):
                return None
            return int(x)

        def when(text):
            for fmt in FORMATS:
                try:
                    return datetime.strptime(text.strip(), fmt)
                except ValueError:
                    pass
            return None

        good, rejected = [], []
        for line, row in enumerate(frame[COLUMNS].to_dict("records"), start=1):
            qty, date, cust = whole(row["Quantity"]), when(row["InvoiceDate"]), whole(row["CustomerID"], True)
            try:
                price = float(row["UnitPrice"])
            except ValueError:
                price = float("nan")
            reason = ("invalid_quantity" if qty is None else "invalid_invoice_date" if date is None else
                      "invalid_unit_price" if not np.isfinite(price) else
                      "invalid_customer_id" if row["CustomerID"].strip() and cust is None else None)
            if reason:
                rejected.append({"source_line": line, "reason": reason, "raw": json.dumps(row)})
            else:
                good.append({"source_line": line, "invoice_no": row["InvoiceNo"], "stock_code": row["StockCode"],
                             "description": row["Description"] or None, "quantity": qty, "invoice_date": date,
                             "unit_price": price, "customer_id": cust, "country": row["Country"]})
        good = pd.DataFrame(good, columns=["source_line", "invoice_no", "stock_code", "description", "quantity",
                                           "invoice_date", "unit_price", "customer_id", "country"])
        good = good.astype({"source_line": "int64", "quantity": "int64", "invoice_date": "datetime64[us]",
                            "unit_price": "float64", "customer_id": "Int64"})
        return Cleaned(good, pd.DataFrame(rejected, columns=["source_line", "reason", "raw"]))


@wrong("a blank CustomerID is 'not a number' too: every guest checkout (135,080 real rows) is quarantined",
       caught_by="bad_rows_are_quarantined")
class BlankCustomerIsInvalid:
    def clean(frame):
        def customer_required(s):
            c = pd.to_numeric(s, errors="coerce")
            return c, ~(c.notna() & (c % 1 == 0) & (c > 0))
        return student_clean(frame, customer=customer_required)


@wrong("to_numeric then astype(int64): a quantity of 2.5 becomes 2 instead of being rejected",
       caught_by="each_cell_is_judged")
class TruncatesFractionalQuantity:
    def clean(frame):
        def quantity_truncated(s):
            q = pd.to_numeric(s, errors="coerce")
            return q.fillna(0).astype("int64").where(q.notna()), q.isna()
        return student_clean(frame, quantity=quantity_truncated)


@wrong("only a value that did not convert breaks the rule: a blank Quantity goes to good as NaN (and crashes)",
       caught_by="each_cell_is_judged")
class BlankQuantityIsNotInvalid:
    def clean(frame):
        def quantity_if_present(s):
            q = pd.to_numeric(s, errors="coerce")
            present = s.str.strip() != ""
            return q, present & ~(q.notna() & (q % 1 == 0) & (q.abs() <= INT_MAX))
        return student_clean(frame, quantity=quantity_if_present)


@wrong("no bound on Quantity: 99,999,999,999 is 'whole' here and fails the COPY into an integer column later",
       caught_by="each_cell_is_judged")
class QuantityWithoutIntegerRange:
    def clean(frame):
        def quantity_unbounded(s):
            q = pd.to_numeric(s, errors="coerce")
            return q, ~(q.notna() & (q % 1 == 0))
        return student_clean(frame, quantity=quantity_unbounded)


@wrong("pd.to_datetime without a format infers one from the first value: the other format's dates become NaT",
       caught_by="each_cell_is_judged")
class InfersOneDateFormat:
    def clean(frame):
        def dates_inferred(s):
            d = pd.to_datetime(s, errors="coerce")
            return d, d.isna()
        return student_clean(frame, dates=dates_inferred)


@wrong("format=\"mixed\": any shape dateutil reads (2010-12-01T08:26:00, 1 Dec 2010 08:26, 13/1/2011) passes "
       "as a date instead of invalid_invoice_date", caught_by="each_cell_is_judged")
class MixedFormatDates:
    def clean(frame):
        def dates_mixed(s):
            d = pd.to_datetime(s.replace("", None), errors="coerce", format="mixed")
            return d, d.isna()
        return student_clean(frame, dates=dates_mixed)


@wrong("dayfirst=True: the US export's 12/1/2010 becomes 12 January instead of 1 December",
       caught_by="each_cell_is_judged")
class DayFirstDates:
    def clean(frame):
        def dates_day_first(s):
            d = pd.to_datetime(s, errors="coerce", format="mixed", dayfirst=True)
            return d, d.isna()
        return student_clean(frame, dates=dates_day_first)


@wrong("a regex for digits only: the export's 17850.0 customer is rejected as invalid",
       caught_by="each_cell_is_judged")
class CustomerMustBeDigits:
    def clean(frame):
        def customer_digits(s):
            text = s.fillna("").str.strip()
            ok = text.eq("") | text.str.fullmatch(r"\d+")
            return pd.to_numeric(text.where(ok), errors="coerce"), ~ok
        return student_clean(frame, customer=customer_digits)


@wrong("negative quantities are 'invalid': every return and cancellation is quarantined",
       caught_by="bad_rows_are_quarantined")
class NegativeQuantityIsInvalid:
    def clean(frame):
        def quantity_positive(s):
            q = pd.to_numeric(s, errors="coerce")
            return q, ~(q.notna() & (q % 1 == 0) & (q > 0) & (q <= INT_MAX))
        return student_clean(frame, quantity=quantity_positive)


@wrong("checks the columns in another order (customer first): a row with two bad cells gets the wrong reason",
       caught_by="first_broken_rule")
class RulesInAnotherOrder:
    def clean(frame):
        result = student_clean(frame)
        src = frame[COLUMNS].reset_index(drop=True)
        _, bad_c = customer_optional(src["CustomerID"])
        _, bad_p = price_number(src["UnitPrice"])
        first = {line: ("invalid_customer_id" if bad_c[line - 1] else "invalid_unit_price" if bad_p[line - 1] else r)
                 for line, r in zip(result.rejected["source_line"], result.rejected["reason"])}
        result.rejected["reason"] = result.rejected["source_line"].map(first)
        return result


@wrong("checks the columns left to right as in the file (Quantity, UnitPrice, InvoiceDate, CustomerID): a row "
       "with a bad date and a bad price gets invalid_unit_price", caught_by="first_broken_rule")
class RulesInFileOrder:
    def clean(frame):
        return student_clean(frame, order=("invalid_quantity", "invalid_unit_price", "invalid_invoice_date",
                                           "invalid_customer_id"))


@wrong("checks the date first (it is the hardest to parse): a row with a bad quantity and a bad date gets "
       "invalid_invoice_date", caught_by="first_broken_rule")
class DateCheckedFirst:
    def clean(frame):
        return student_clean(frame, order=("invalid_invoice_date", "invalid_quantity", "invalid_unit_price",
                                           "invalid_customer_id"))


@wrong("source_line = frame.index + 1: a batch whose index does not start at 0 gets the wrong lines",
       caught_by="lines_are_positions")
class IndexAsSourceLine:
    def clean(frame):
        return student_clean(frame, lines=lambda f: np.asarray(f.index) + 1)


@wrong("converts the columns in place: the caller's frame changes and raw shows nan instead of what was read",
       caught_by="bad_rows_are_quarantined")
class ConvertsInPlace:
    def clean(frame):
        frame["Quantity"] = pd.to_numeric(frame["Quantity"], errors="coerce").astype("object")
        frame["UnitPrice"] = pd.to_numeric(frame["UnitPrice"], errors="coerce").astype("object")
        result = student_clean(frame.astype({"Quantity": "str", "UnitPrice": "str"}))
        return result


@wrong("drops the bad rows (dropna) instead of quarantining them: rows in != rows loaded + rejected",
       caught_by="bad_rows_are_quarantined")
class DropsBadRows:
    def clean(frame):
        result = student_clean(frame)
        return Cleaned(result.good, result.rejected.iloc[0:0])


@wrong("customer_id left as float64: 17850.0 goes to an integer column as '17850.0' and the COPY fails",
       caught_by="good_rows_are_typed")
class CustomerAsFloat:
    def clean(frame):
        result = student_clean(frame)
        result.good["customer_id"] = result.good["customer_id"].astype("float64")
        return result


@right("nullable types throughout (quantity Int64, unit_price Float64) and regex checks for the whole numbers")
class NullableTypesAndRegex:
    def clean(frame):
        def quantity_regex(s):
            text = s.fillna("").str.strip()
            ok = text.str.fullmatch(r"-?\d+(\.0*)?")
            q = pd.to_numeric(text.where(ok), errors="coerce")
            return q, ~(ok & (q.abs() <= INT_MAX))

        def customer_regex(s):
            text = s.fillna("").str.strip()
            ok = text.eq("") | (text.str.fullmatch(r"\d+(\.0*)?") & (pd.to_numeric(text, errors="coerce") > 0))
            return pd.to_numeric(text.where(ok & text.ne("")), errors="coerce"), ~ok

        result = student_clean(frame, quantity=quantity_regex, customer=customer_regex)
        good = result.good.astype({"quantity": "Int64", "unit_price": "Float64"})
        return Cleaned(good, result.rejected)
