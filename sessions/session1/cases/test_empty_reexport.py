"""An empty re-export wipes the file's rows.

Scenario:
    The nightly job re-loads online_retail.csv. Tonight the export upstream
    failed half-way and wrote only the header line (or 12 rows of 2,000):
    the file exists, it is a valid CSV, the job loads it as every night.
Why:
    The load is idempotent: in one transaction it deletes what the file
    loaded before and copies what the file holds now. Exactly right for a
    corrected file, and exactly wrong here: it obeys the empty file, and the
    file's 2,000 rows vanish from bronze with exit 0, the counts reconciling
    (read 0 = loaded 0 + rejected 0). Only a completely empty file, 0 bytes,
    fails: pandas raises EmptyDataError "No columns to parse from file". The
    header-only one says nothing.
Fix:
    Compare before replacing: the rows the file has in bronze now against
    the rows its new version would load, and refuse with one line when it
    would lose more than half (guards.check_shrink raises LoadRefused naming
    both counts and --allow-shrink). A first load, with nothing before, is
    never refused. The pipeline checks inside the load's transaction, before
    its DELETE, so a refusal leaves bronze as it was; a file that really did
    shrink is loaded with `python -m sessions.session1.ingest FILE
    --allow-shrink`.
Hints:
    - Before deleting anything, what does the database already know about
      this file that the new version can be compared with?
    - "Lost most of its rows" is fewer than half. Exactly half is allowed;
      what about 2 rows where there were 5? Mind integer division.
    - A file never loaded before has nothing to lose, and the person who knows
      the file really shrank needs a way through.
"""
import re

import pandas as pd
import pytest

from failurelab.expect import must_raise
from sessions.session1 import cleaning, guards, load

pytestmark = pytest.mark.failure_case("data_quality", fix=guards.check_shrink)

FILE = "online_retail.csv"


def naive_load(conn, path):
    """Read, clean, replace the file's rows: the idempotent load, obeying whatever the file holds now."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cleaned = cleaning.clean(frame)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (path.name,))
        cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (path.name,))
        loaded = load.copy_frame(cur, cleaned.good.assign(source_file=path.name), "bronze.raw_transactions",
                                 load.RAW_COLUMNS)
        load.copy_frame(cur, cleaned.rejected.assign(source_file=path.name), "bronze.rejected_rows",
                        load.REJECTED_COLUMNS)
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (path.name,))
        in_bronze = cur.fetchone()[0]
    conn.commit()
    return len(frame), loaded, len(cleaned.rejected), in_bronze


def test_wrong_empty_reexport_a_zero_byte_file_at_least_fails(tmp_path, failure):
    empty = tmp_path / FILE
    empty.write_bytes(b"")
    with failure.expect(pd.errors.EmptyDataError, match=r"^No columns to parse from file$"):
        pd.read_csv(empty, dtype=str, keep_default_na=False)


def test_wrong_empty_reexport_a_header_only_reexport_wipes_the_file_silently(conn, sample_csv, sample_frame):
    load.create_schema(conn)
    read, loaded, rejected, in_bronze = naive_load(conn, sample_csv)
    assert read == len(sample_frame) == loaded + rejected and in_bronze == loaded  # last night: all there
    header = sample_csv.read_text(encoding="utf-8").split("\n", 1)[0]
    sample_csv.write_text(header + "\n", encoding="utf-8")  # tonight's export: the header line only
    assert naive_load(conn, sample_csv) == (0, 0, 0, 0)  # read 0 = loaded 0 + rejected 0: reconciles, all gone


def refused(solution, before, after) -> str:
    """The refusal's text; the test fails in words when there is none or it is the wrong class."""
    with must_raise(guards.LoadRefused, f"check_shrink({FILE!r}, before={before}, after={after}) should refuse "
                    f"(raise guards.LoadRefused): {after} is less than half of {before}") as got:
        solution.check_shrink(FILE, before, after)
    return str(got.value)


def number(n: int) -> str:
    """n as a regex, with or without thousands separators, not part of a longer number."""
    return rf"(?<![\d,]){re.escape(str(n)) if n < 1000 else re.escape(f'{n:,}').replace(',', ',?')}(?![\d,])"


@pytest.mark.parametrize("before, after", [(2000, 0), (2000, 12), (2000, 999), (5, 2), (3, 1), (1, 0),
                                           (541909, 0), (541909, 270954)])
def test_right_empty_reexport_refuses_to_lose_more_than_half(solution, before, after):
    message = refused(solution, before, after)
    for what, pattern in ((f"the file name {FILE}", re.escape(FILE)), (f"before ({before})", number(before)),
                          (f"after ({after})", number(after)), ("the option --allow-shrink", "--allow-shrink")):
        assert re.search(pattern, message), (
            f"the refusal should name the file, both counts and the option that overrides it: {what} is missing "
            f"from: {message}")
    assert "\n" not in message.strip(), f"the refusal should be ONE line: {message!r}"


@pytest.mark.parametrize("before, after, why", [
    (2000, 1000, "exactly half is not less than half"), (4, 2, "exactly half"), (5, 3, "more than half"),
    (541909, 270955, "more than half"), (2000, 1999, "a few rows fewer"), (2000, 2000, "the same size"),
    (2000, 2500, "a file that grew"), (0, 0, "a first load: nothing to lose"),
    (0, 100, "a first load"), (1, 1, "the same size")])
def test_right_empty_reexport_lets_growth_small_shrinks_and_first_loads_through(solution, before, after, why):
    try:
        solution.check_shrink(FILE, before, after)
    except guards.LoadRefused as err:
        pytest.fail(f"check_shrink({FILE!r}, before={before}, after={after}) should let the load through "
                    f"({why}); yours refused: {err}", pytrace=False)
    except Exception as err:  # noqa: BLE001 - e.g. a ZeroDivisionError for before == 0: told in words
        pytest.fail(f"check_shrink({FILE!r}, before={before}, after={after}) should let the load through "
                    f"({why}); yours raised {type(err).__name__}: {err}", pytrace=False)


@pytest.mark.parametrize("before, after", [(2000, 0), (5, 2), (541909, 12)])
def test_right_empty_reexport_allow_shrink_overrides_the_refusal(solution, before, after):
    try:
        solution.check_shrink(FILE, before, after, allow_shrink=True)
    except guards.LoadRefused as err:
        pytest.fail(f"with allow_shrink=True (the person checked the file: it really is smaller now) "
                    f"check_shrink({FILE!r}, {before}, {after}) should let the load through; yours refused: {err}",
                    pytrace=False)
