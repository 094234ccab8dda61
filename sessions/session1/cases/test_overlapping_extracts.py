"""The same sales under two names.

Scenario:
    The December extract arrives twice: as online_retail.xlsx from the shop's
    back office, and a week later as online_retail.csv, re-exported by a
    colleague (or a copy renamed sales_2011.csv, or compressed as .csv.xz).
    The nightly job loads every file it finds.
Why:
    The load is idempotent per file name: a re-run of one name replaces that
    name's rows. A second name is a new source, so its rows are added. Every
    check passes (per file, rows read = loaded + rejected; no key is violated,
    the key is source_file and source_line; exit 0) and revenue is doubled. A
    unique constraint on the line's content cannot catch it: the export itself
    repeats lines exactly, so PostgreSQL refuses even to build that index,
    UniqueViolation (SQLSTATE 23505) "could not create unique index".
Fix:
    Before loading, ask bronze which OTHER sources already hold this file's
    invoice numbers (guards.overlapping_sources: one query with the numbers
    as an array, = ANY(%s), not one per invoice) and refuse with one line
    naming them (guards.check_overlap raises LoadRefused), unless the person
    says the new file supersedes them: `python -m sessions.session1.ingest
    FILE --replace OTHER` deletes OTHER's rows in the same transaction.
    Compare invoice numbers, not file names or checksums: the same sales in
    another format have another name and other bytes.
Hints:
    - Two names, other bytes, the same sales: what do the two files share that
      their names and checksums do not?
    - A re-run of the same file is no overlap, and an invoice of 20 lines is
      ONE invoice in common.
    - Send all the file's invoice numbers in one query (a list parameter
      becomes an array: invoice_no = ANY(%s)); the real file has 25,900.
"""
import psycopg2
import pytest

from failurelab.expect import must_raise
from sessions.session1 import cleaning, guards, load, reader

pytestmark = pytest.mark.failure_case("business_logic", fix=[guards.overlapping_sources, guards.check_overlap])

NEW, EXPORT, SALES, XLSX = "online_retail.csv", "export_2011-12-09.csv.xz", "sales_2011.csv", "online_retail.xlsx"
REVENUE = "SELECT sum(quantity * unit_price) FROM bronze.raw_transactions"


def naive_load(conn, frame, source_file):
    """Clean, then replace this file name's rows: the idempotent load, keyed on the name alone."""
    cleaned = cleaning.clean(frame)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
        cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
        loaded = load.copy_frame(cur, cleaned.good.assign(source_file=source_file), "bronze.raw_transactions",
                                 load.RAW_COLUMNS)
        load.copy_frame(cur, cleaned.rejected.assign(source_file=source_file), "bronze.rejected_rows",
                        load.REJECTED_COLUMNS)
    conn.commit()
    return len(frame), loaded, len(cleaned.rejected)


def scalar(conn, sql, *params):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_wrong_overlapping_extracts_two_names_double_the_revenue_and_every_check_passes(conn, sample_xlsx,
                                                                                       sample_csv):
    load.create_schema(conn)
    read, loaded, rejected = naive_load(conn, reader.read_source(sample_xlsx), sample_xlsx.name)
    assert read == loaded + rejected  # the .xlsx reconciles
    once = scalar(conn, REVENUE)
    read, loaded, rejected = naive_load(conn, reader.read_source(sample_csv), sample_csv.name)
    assert read == loaded + rejected  # and so does the .csv: the same sales, another name
    assert scalar(conn, REVENUE) == 2 * once  # revenue doubled, and nothing said so


def test_wrong_overlapping_extracts_a_unique_index_on_the_lines_cannot_be_built(conn, sample_csv, failure):
    load.create_schema(conn)
    naive_load(conn, reader.read_source(sample_csv), sample_csv.name)  # ONE file, loaded once
    with failure.expect(psycopg2.errors.UniqueViolation, pgcode="23505",
                        match=r'^could not create unique index "raw_line_content"'):
        with conn.cursor() as cur:  # the export repeats lines exactly: content is not a key
            cur.execute("CREATE UNIQUE INDEX raw_line_content ON bronze.raw_transactions "
                        "(invoice_no, stock_code, quantity, invoice_date, unit_price)")


def put(conn, frame, source_file):
    """Load a part of the sample as one source, as the pipeline would (good rows only in raw_transactions)."""
    good = cleaning.clean(frame).good
    with conn.cursor() as cur:
        load.copy_frame(cur, good.assign(source_file=source_file), "bronze.raw_transactions", load.RAW_COLUMNS)
    conn.commit()
    return set(good["invoice_no"])


@pytest.fixture
def bronze(conn, sample_frame):
    """Four sources in bronze, and the invoice numbers (one per line, repeated) of NEW's next version.

    EXPORT holds the same lines as NEW, SALES some of them, XLSX none (same stem as NEW, other sales), and NEW
    itself was loaded before (this is a re-run).
    """
    load.create_schema(conn)
    new = cleaning.clean(sample_frame.iloc[:1200]).good["invoice_no"]
    held = {EXPORT: put(conn, sample_frame.iloc[:1200], EXPORT), SALES: put(conn, sample_frame.iloc[1000:1600], SALES),
            XLSX: put(conn, sample_frame.iloc[1600:], XLSX)}
    put(conn, sample_frame.iloc[:1200], NEW)
    expected = {name: len(set(new) & invoices) for name, invoices in held.items() if set(new) & invoices}
    assert set(expected) == {EXPORT, SALES} and expected[EXPORT] < len(new), "fixture: EXPORT and SALES overlap"
    return new, expected


def test_right_overlapping_extracts_names_each_other_source_with_its_distinct_invoices(conn, bronze, solution):
    invoices, expected = bronze
    with conn.cursor() as cur:
        found = solution.overlapping_sources(cur, NEW, invoices)
    assert isinstance(found, dict), f"overlapping_sources should return a dict, yours returned {type(found).__name__}"
    assert {k: int(v) for k, v in found.items()} == expected, (
        f"overlapping_sources({NEW!r}, its {len(invoices)} lines' invoice numbers) should return {expected}: each "
        f"OTHER source_file in bronze.raw_transactions that holds one of them, with the number of DISTINCT invoice "
        f"numbers in common ({EXPORT} holds the same {expected[EXPORT]} invoices in {len(invoices)} lines; {NEW} "
        f"itself is a re-run, not an overlap; {XLSX} shares none, whatever its name). Yours returned {found}")
    with conn.cursor() as cur:
        found = solution.overlapping_sources(cur, NEW, list(invoices.drop_duplicates()))
    assert found == expected, f"given the invoice numbers as a list of str, return {expected} as well; yours: {found}"


def test_right_overlapping_extracts_an_empty_file_or_an_empty_bronze_overlaps_nothing(conn, bronze, db, solution):
    invoices, _ = bronze
    with conn.cursor() as cur:
        try:
            found = solution.overlapping_sources(cur, NEW, [])
        except psycopg2.Error as err:
            pytest.fail(f"overlapping_sources with no invoice numbers (a file without rows) failed: "
                        f"{type(err).__name__}: {' '.join(str(err).split())}. An empty IN () is a syntax error; "
                        "= ANY(%s) with an empty list is not", pytrace=False)
    assert found == {}, f"a file without invoice numbers overlaps nothing: return {{}}, not {found}"
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("TRUNCATE bronze.raw_transactions")
        found = solution.overlapping_sources(cur, NEW, invoices)
    assert found == {}, f"an empty bronze.raw_transactions overlaps nothing: return {{}}, not {found}"


def counting_cursor(calls: list):
    class Counting(psycopg2.extensions.cursor):
        def execute(self, query, vars=None):  # noqa: A002 - psycopg2's own parameter name
            calls.append(query)
            return super().execute(query, vars)

        def executemany(self, query, vars_list):  # noqa: A002
            vars_list = list(vars_list)
            calls.extend([query] * len(vars_list))  # one round trip per parameter set
            return super().executemany(query, vars_list)
    return Counting


def test_right_overlapping_extracts_asks_the_database_in_a_few_statements(conn, solution):
    load.create_schema(conn)
    with conn.cursor() as cur:  # 3,000 invoices of one line each in XLSX
        cur.execute("INSERT INTO bronze.raw_transactions SELECT %s, g, (600000 + g)::text, '85123A', NULL, 1, "
                    "'2011-01-01', 2.55, NULL, 'United Kingdom', false, false FROM generate_series(1, 3000) g", (XLSX,))
    conn.commit()
    invoices = [str(600000 + n) for n in range(1501, 4501)]  # 1,500 of them in common
    calls = []
    conn.cursor_factory = counting_cursor(calls)  # every cursor of this connection counts its statements
    with conn.cursor() as cur:
        found = solution.overlapping_sources(cur, NEW, invoices)
    assert found == {XLSX: 1500}, f"{XLSX} holds 1,500 of the 3,000 invoice numbers: return {{{XLSX!r}: 1500}}, " \
                                  f"not {found}"
    assert len(calls) <= 100, (
        f"overlapping_sources ran {len(calls)} statements for 3,000 invoice numbers: one per invoice is 25,900 "
        "round trips for the real file. Send them all at once (invoice_no = ANY(%s) with a list, or a temporary "
        f"table filled in one COPY); your first statements: {[str(c)[:80] for c in calls[:2]]}")


def committed_rows(db, source_file):
    other = db.connect()
    try:
        return scalar(other, "SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", source_file)
    finally:
        other.close()


def test_right_overlapping_extracts_checks_run_inside_the_load_transaction(conn, db, bronze, solution):
    invoices, expected = bronze
    before = committed_rows(db, NEW)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (NEW,))  # the load has begun
        try:
            twice = [solution.overlapping_sources(cur, NEW, invoices) for _ in range(2)]
            solution.check_overlap(cur, NEW, invoices, replace=list(expected))
        except psycopg2.Error as err:
            pytest.fail(f"called twice in one transaction (as the pipeline does), your fix failed the second time: "
                        f"{type(err).__name__}: {' '.join(str(err).split())}. A temporary table must be dropped "
                        "(or emptied) after use", pytrace=False)
    assert twice == [expected, expected], f"both calls should return {expected}; yours returned {twice}"
    conn.rollback()  # the load fails after the checks: nothing of it may stay
    after = committed_rows(db, NEW)
    assert after == before, (
        f"the checks run inside the load's transaction and must not end it: after a ROLLBACK {NEW} should still "
        f"have its {before} rows, it has {after}. Your fix committed (conn.commit(), or `with conn:`); leave "
        "commit and rollback to the load")


def refused(cur, solution, invoices, replace=()):
    """The LoadRefused raised, as text; or a test failure in words."""
    with must_raise(guards.LoadRefused, f"check_overlap should refuse {NEW} (raise guards.LoadRefused): other "
                                        f"sources hold some of its invoices and are not all in replace={replace!r}") \
            as refusal:
        solution.check_overlap(cur, NEW, invoices, replace=replace)
    return str(refusal.value)


def test_right_overlapping_extracts_check_refuses_naming_each_source_and_the_option(conn, bronze, solution):
    invoices, _ = bronze
    with conn.cursor() as cur:
        message = refused(cur, solution, invoices)
        for part in (NEW, EXPORT, SALES, f"--replace {EXPORT}", f"--replace {SALES}"):
            assert part in message, (f"the refusal should name {NEW}, each other source ({EXPORT}, {SALES}) and the "
                                     f"option for each (--replace NAME): {part!r} is missing from: {message}")
        assert "\n" not in message.strip(), f"the refusal should be ONE line: {message!r}"
        message = refused(cur, solution, invoices, replace=(EXPORT,))
        assert f"--replace {SALES}" in message, (
            f"with replace=({EXPORT!r},) only {SALES} still blocks the load: name it with --replace {SALES}; yours "
            f"said: {message}")


def test_right_overlapping_extracts_check_lets_replaced_sources_and_re_runs_through(conn, bronze, solution):
    invoices, _ = bronze
    with conn.cursor() as cur:
        for given, replace, what in ((invoices, [EXPORT, SALES], "every overlapping source is being replaced"),
                                     (invoices, (SALES, EXPORT, "march.csv"), "every overlapping source is in replace"),
                                     (["C999998", "999999"], (), "no other source holds these invoices"),
                                     ([], (), "the file has no rows")):
            try:
                solution.check_overlap(cur, NEW, given, replace=replace)
            except guards.LoadRefused as err:
                pytest.fail(f"check_overlap should let the load through when {what} (replace={replace!r}); yours "
                            f"refused: {err}", pytrace=False)
        cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file <> %s", (NEW,))
        try:
            solution.check_overlap(cur, NEW, invoices)
        except guards.LoadRefused as err:
            pytest.fail(f"a re-run of {NEW} (only {NEW} itself holds its invoices) is no overlap; yours refused: "
                        f"{err}", pytrace=False)
    conn.rollback()
