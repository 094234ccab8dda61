"""Attempts at negative_prices (spoilers): what students hand in, and the verdict due.

The fix is two functions: the price rule and the ingest step that applies it
through cleaning.clean() and loads. A wrong attempt subclasses a right one and
overrides the function it gets wrong.
"""
import numpy as np
import pandas as pd

from failurelab.attempts import right, wrong
from sessions.session1 import cleaning, load
from sessions.session1.cleaning import PRICE_MAX, PRICE_MIN
from sessions.session1.ingest import IngestReport


@right("Series.between for the rule; the report built from the Cleaned parts and a reconcile check with raise")
class WithBetween:
    def price_out_of_range(price):
        return ~price.between(PRICE_MIN, PRICE_MAX)  # NaN -> True: its row is rejected as invalid_unit_price first

    def ingest_frame(conn, frame, source_file, progress=None):
        cleaned = cleaning.clean(frame)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        rejected = cleaned.rejected["reason"].value_counts().to_dict()
        report = IngestReport(source_file, read=len(frame), loaded=loaded,
                              rejected={str(k): int(v) for k, v in rejected.items()},
                              cancellations=int(cleaned.good["is_cancellation"].sum()),
                              duplicates=int(cleaned.good["is_duplicate"].sum()))
        if not report.reconciles:
            raise AssertionError(f"rows do not add up: {report.summary()}")
        return report


@right("a per-price lambda (NaN -> False) and a Counter for the reasons; hard-coded bounds 0 and 10000")
class RowByRowRule(WithBetween):
    def price_out_of_range(price):
        return price.map(lambda p: p == p and not 0 <= p <= 10_000).astype(bool)

    def ingest_frame(conn, frame, source_file, progress=None):
        from collections import Counter
        cleaned = cleaning.clean(frame)
        load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        good = cleaned.good
        report = IngestReport(source_file, len(frame), len(good), dict(Counter(cleaned.rejected["reason"])),
                              int(good.is_cancellation.sum()), int(good.is_duplicate.sum()))
        assert report.read == report.loaded + sum(report.rejected.values()), report.summary()
        return report


@wrong("never writes the rule: the stub's price_out_of_range is left as it was", caught_by="the_rule_marks_prices")
class NeverWritesTheRule(WithBetween):
    def price_out_of_range(price):
        raise NotImplementedError("TODO(negative_prices): write price_out_of_range")


@wrong("only negative prices, as the case's name says: 11062.06, 38970 and the Amazon fees are loaded",
       caught_by="violators_are_quarantined")
class OnlyNegative(WithBetween):
    def price_out_of_range(price):
        return price < 0


@wrong("strict bounds: a free item (0.00) and a price of exactly 10000 are quarantined",
       caught_by="the_rule_marks_prices")
class StrictBounds(WithBetween):
    def price_out_of_range(price):
        return (price <= PRICE_MIN) | (price >= PRICE_MAX)


@wrong("casts to int first: -0.01 becomes 0 and 10000.01 becomes 10000, both pass",
       caught_by="the_rule_marks_prices")
class IntCastPrices(WithBetween):
    def price_out_of_range(price):
        cents = price.fillna(0).astype(int)
        return (cents < PRICE_MIN) | (cents > PRICE_MAX)


@wrong("abs(price) > 10000: the big bad-debt lines go, but -0.01 is a valid price to this rule",
       caught_by="the_rule_marks_prices")
class AbsoluteValue(WithBetween):
    def price_out_of_range(price):
        return price.abs() > PRICE_MAX


@wrong("returns the prices that are out of range, not a flag per price", caught_by="the_rule_marks_prices")
class ReturnsTheViolators(WithBetween):
    def price_out_of_range(price):
        return price[(price < PRICE_MIN) | (price > PRICE_MAX)]


@wrong("the inverse mask: True where the price is fine, so the good rows are quarantined",
       caught_by="the_rule_marks_prices")
class InRangeMask(WithBetween):
    def price_out_of_range(price):
        return price.between(PRICE_MIN, PRICE_MAX)


@wrong("a numpy array instead of a Series: clean() cannot use it (no index, no fillna)",
       caught_by="the_rule_marks_prices")
class ReturnsAnArray(WithBetween):
    def price_out_of_range(price):
        return np.logical_or(price.to_numpy() < PRICE_MIN, price.to_numpy() > PRICE_MAX)


@wrong("loads only the good rows: the violators vanish instead of waiting in bronze.rejected_rows",
       caught_by="violators_are_quarantined")
class DropsTheViolators(WithBetween):
    def ingest_frame(conn, frame, source_file, progress=None):
        cleaned = cleaning.clean(frame)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected.iloc[0:0])
        return IngestReport(source_file, len(frame), loaded, cleaned.rejected["reason"].value_counts().to_dict(),
                            int(cleaned.good["is_cancellation"].sum()), int(cleaned.good["is_duplicate"].sum()))


@wrong("reports every rejected row as price_out_of_range: a row without an InvoiceNo is counted under the wrong "
       "reason", caught_by="the_rule_decides_in_the_pipeline")
class HardCodedReason(WithBetween):
    def ingest_frame(conn, frame, source_file, progress=None):
        cleaned = cleaning.clean(frame)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        rejected = {"price_out_of_range": len(cleaned.rejected)} if len(cleaned.rejected) else {}
        return IngestReport(source_file, len(frame), loaded, rejected,
                            int(cleaned.good["is_cancellation"].sum()), int(cleaned.good["is_duplicate"].sum()))


@wrong("counts cancellations in the input: the quarantined 38,970 cancellation is counted as loaded",
       caught_by="cancellations_are_kept")
class CancellationsFromTheInput(WithBetween):
    def ingest_frame(conn, frame, source_file, progress=None):
        cleaned = cleaning.clean(frame)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        return IngestReport(source_file, len(frame), loaded, cleaned.rejected["reason"].value_counts().to_dict(),
                            int(frame["InvoiceNo"].astype(str).str.startswith("C").sum()),
                            int(cleaned.good["is_duplicate"].sum()))


@wrong("hands back value_counts() as it is: a Series, not the dict {reason: rows}; reconciles then crashes",
       caught_by="violators_are_quarantined")
class RejectedAsASeries(WithBetween):
    def ingest_frame(conn, frame, source_file, progress=None):
        cleaned = cleaning.clean(frame)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        return IngestReport(source_file, len(frame), loaded, cleaned.rejected["reason"].value_counts(),
                            int(cleaned.good["is_cancellation"].sum()), int(cleaned.good["is_duplicate"].sum()))


@wrong("filters the prices before cleaning (frame[between]): the violators are dropped, not quarantined",
       caught_by="violators_are_quarantined")
class FiltersBeforeCleaning(WithBetween):
    def ingest_frame(conn, frame, source_file, progress=None):
        prices = pd.to_numeric(frame["UnitPrice"], errors="coerce")
        kept = frame[~cleaning.price_out_of_range(prices)]
        cleaned = cleaning.clean(kept)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        return IngestReport(source_file, len(kept), loaded, cleaned.rejected["reason"].value_counts().to_dict(),
                            int(cleaned.good["is_cancellation"].sum()), int(cleaned.good["is_duplicate"].sum()))


@wrong("appends with COPY instead of replacing the file's rows: a re-run fails on the key or doubles the rows",
       caught_by="rerun_replaces")
class AppendsOnEveryRun(WithBetween):
    def ingest_frame(conn, frame, source_file, progress=None):
        cleaned = cleaning.clean(frame)
        with conn.cursor() as cur:
            loaded = load.copy_frame(cur, cleaned.good.assign(source_file=source_file), "bronze.raw_transactions",
                                     load.RAW_COLUMNS)
            load.copy_frame(cur, cleaned.rejected.assign(source_file=source_file), "bronze.rejected_rows",
                            load.REJECTED_COLUMNS)
        conn.commit()
        return IngestReport(source_file, len(frame), loaded, cleaned.rejected["reason"].value_counts().to_dict(),
                            int(cleaned.good["is_cancellation"].sum()), int(cleaned.good["is_duplicate"].sum()))


@right("lt/gt with fill_value for NaN; the report lists every reason of cleaning, 0 where none was rejected")
class CountsEveryReason(WithBetween):
    def price_out_of_range(price):
        return price.lt(PRICE_MIN, fill_value=PRICE_MIN) | price.gt(PRICE_MAX, fill_value=PRICE_MAX)

    def ingest_frame(conn, frame, source_file, progress=None):
        reasons = ["missing_invoice_no", "missing_stock_code", "missing_country", "invalid_quantity",
                   "invalid_invoice_date", "invalid_unit_price", "invalid_customer_id", "zero_quantity",
                   "price_out_of_range", "cancellation_not_negative"]
        cleaned = cleaning.clean(frame)
        loaded = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected)
        counts = {r: int((cleaned.rejected["reason"] == r).sum()) for r in reasons}
        good = cleaned.good
        report = IngestReport(source_file, len(frame), loaded, counts, int(good["is_cancellation"].sum()),
                              int(good["is_duplicate"].sum()))
        if report.read != report.loaded + sum(counts.values()):
            raise RuntimeError(f"lost rows: {report.summary()}")
        return report
