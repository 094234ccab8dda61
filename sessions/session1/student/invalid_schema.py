"""Your fix for invalid_schema: one bad cell must not sink the whole file.

Run: pytest --student sessions/session1 -k invalid_schema -s

clean(frame) takes the 8 source columns (InvoiceNo, StockCode, Description,
Quantity, InvoiceDate, UnitPrice, CustomerID, Country) as reader.read_csv gives
them: every cell text, "" when empty. Its index need not be 0, 1, 2, ... (a
batch cut from a larger frame keeps its index). Do not change the frame.

Every row ends up in exactly one of Cleaned.good and Cleaned.rejected, with
source_line = its position: 1 for the first row of the frame, 2 for the next...

The type rules, checked in this order (a row's reason is the FIRST it breaks):

  invalid_quantity      Quantity is not a whole number: "6", "-12" and "6.0" are
                        (6, -12, 6); "2.5", "six" and "" are not, nor a number
                        beyond a PostgreSQL integer (-2147483647..2147483647)
  invalid_invoice_date  InvoiceDate is neither ISO "2010-12-01 08:26:00" nor US
                        "12/1/2010 8:26" (month first: "1/13/2011 9:05" is 13
                        January); each value may be in either ("" is invalid,
                        and so is any other shape: "2010-12-01T08:26:00",
                        "1 Dec 2010 08:26", day first "13/1/2011 9:05")
  invalid_unit_price    UnitPrice is not a number ("2.55", "0" are; "abc", "" not)
  invalid_customer_id   CustomerID is present but not a positive whole number
                        ("17850" and "17850.0" are the same customer, 17850;
                        "N/A", "17850.5", "0" are invalid). An EMPTY CustomerID
                        is valid: a guest checkout, the row is good with <NA>

And these rows are VALID, they must be good: a blank CustomerID, a blank
Description, a negative Quantity (a return; a "C" invoice, a cancellation) and
a price of 0 (a free item). cleaning.py has more business rules (a missing
InvoiceNo, a price over 10000, ...): this exercise does not grade them, its
rows break none of them.

Cleaned.good: one row per good row, with the columns source_line, invoice_no,
stock_code, description, quantity (int64), invoice_date (datetime64, no time
zone), unit_price (float64), customer_id (Int64: pandas' nullable integer, <NA>
when empty) and country; the text columns as read.
Cleaned.rejected: source_line, reason (one of the four above) and raw: the row
as read, a JSON object of its 8 source columns, e.g.
{"InvoiceNo": "536365", ..., "Quantity": "NOT_A_NUMBER", ...}.
"""
from __future__ import annotations

import pandas as pd

from sessions.session1.cleaning import Cleaned


def clean(frame: pd.DataFrame) -> Cleaned:
    # TODO(invalid_schema): number the rows (source_line = 1, 2, ...); convert
    # Quantity, UnitPrice, CustomerID with pd.to_numeric(errors="coerce") and
    # InvoiceDate with pd.to_datetime(errors="coerce", format=...) for each of
    # the two formats; a value that did not convert (or a quantity or customer
    # that is not whole) breaks its rule ("invalid_quantity", ...), a blank
    # CustomerID does not. Return Cleaned(good, rejected): good in bronze column
    # names and types, rejected with source_line, reason and raw (the row as
    # JSON text).
    raise NotImplementedError("TODO(invalid_schema): write clean")
