"""Attempts at missing_columns (spoilers): what students hand in, and the verdict due."""
import pandas as pd

from failurelab.attempts import right, wrong
from sessions.session1.cleaning import COLUMNS, MissingColumns

HINT = "is this the Online Retail export, with its header row?"


def found(frame):
    return ", ".join(str(c) for c in frame.columns) or "none"


@wrong("fires only when three or more columns are missing: a single renamed column slips through",
       caught_by="single_renamed_column")
class OnlyWhenManyAreMissing:
    def validate_columns(frame):
        missing = [c for c in COLUMNS if c not in frame.columns]
        if len(missing) >= 3:  # "a few missing is the wrong file"
            raise MissingColumns(f"missing required columns: {', '.join(missing)} (found: {found(frame)}); {HINT}")


@wrong("raises at the first missing column: fix it, re-run, meet the next one",
       caught_by="names_every_missing_column")
class FirstMissingOnly:
    def validate_columns(frame):
        for column in COLUMNS:
            if column not in frame.columns:
                raise MissingColumns(f"missing required columns: {column} (found: {found(frame)}); {HINT}")


@wrong("a set difference, sorted: the missing columns come in alphabetical order, not COLUMNS order",
       caught_by="names_every_missing_column")
class SortedSetDifference:
    def validate_columns(frame):
        missing = sorted(set(COLUMNS) - set(frame.columns))
        if missing:
            raise MissingColumns(f"missing required columns: {', '.join(missing)} (found: {found(frame)}); {HINT}")


@wrong("compares names case- and space-insensitively: 'customerid' passes here and clean() fails with KeyError",
       caught_by="near_misses")
class ForgivingComparison:
    def validate_columns(frame):
        have = {str(c).strip().lower() for c in frame.columns}
        missing = [c for c in COLUMNS if c.lower() not in have]
        if missing:
            raise MissingColumns(f"missing required columns: {', '.join(missing)} (found: {found(frame)}); {HINT}")


@wrong("strips the header before comparing: 'Country ' counts as Country, yet clean() reads frame['Country']",
       caught_by="names_every_missing_column")
class StripsBeforeComparing:
    def validate_columns(frame):
        have = [str(c).strip() for c in frame.columns]
        missing = [c for c in COLUMNS if c not in have]
        if missing:
            raise MissingColumns(f"missing required columns: {', '.join(missing)} (found: {', '.join(have)}); {HINT}")


@wrong("joins frame.columns as text: a headerless file (columns 0..7) crashes with TypeError",
       caught_by="without_its_header")
class JoinsColumnsAsText:
    def validate_columns(frame):
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise MissingColumns(f"missing required columns: {', '.join(missing)} "
                                 f"(found: {', '.join(frame.columns)}); {HINT}")


@wrong("names the missing columns but not the columns found, so a near miss cannot be seen",
       caught_by="names_every_missing_column")
class NoFoundList:
    def validate_columns(frame):
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise MissingColumns(f"missing required columns: {', '.join(missing)}; {HINT}")


@wrong("wants the header exactly as COLUMNS: another order or an extra column is refused",
       caught_by="complete_header_passes")
class ExactHeader:
    def validate_columns(frame):
        if list(frame.columns) != COLUMNS:
            missing = [c for c in COLUMNS if c not in frame.columns]
            raise MissingColumns(f"missing required columns: {', '.join(missing)} (found: {found(frame)}); "
                                 f"expected exactly {', '.join(COLUMNS)}")


@wrong("raises the builtin KeyError: callers catching MissingColumns (an IngestError) miss it",
       caught_by="names_every_missing_column")
class BuiltinKeyError:
    def validate_columns(frame):
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise KeyError(f"missing required columns: {', '.join(missing)} (found: {found(frame)})")


@right("pd.Index.difference(sort=False) and repr() of each column found")
class IndexDifference:
    def validate_columns(frame):
        missing = pd.Index(COLUMNS).difference(frame.columns, sort=False)
        if len(missing):
            shown = ", ".join(repr(c) for c in frame.columns) or "no columns at all"
            raise MissingColumns(f"missing required columns: {', '.join(missing)} (found: {shown}). Check that "
                                 "the file is the Online Retail export and that its first row is the header")


@right("a filter over COLUMNS and a two-part message with the found columns as a list")
class FilterAndList:
    def validate_columns(frame):
        have = set(frame.columns)
        missing = list(filter(lambda name: name not in have, COLUMNS))
        if not missing:
            return None
        raise MissingColumns("missing required columns: " + ", ".join(missing)
                             + f" (found: {[str(c) for c in frame.columns]})")
