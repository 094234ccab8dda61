"""A typo in a SQL file.

Scenario:
    Someone edits a transformation file and leaves a typo: a missing comma, a
    keyword spelled SELEC. The job runs the file statement by statement.
Why:
    PostgreSQL parses what it is sent, when it is sent. A runner that sends
    the statements one by one (as psql runs a file) has already run the
    statements before the broken one, and in autocommit committed them, when
    the SyntaxError appears. And its LINE counts from the start of the
    statement it was sent, not of the file: the typo on line 7 is reported
    as LINE 4. The whole file sent in ONE execute behaves differently: the
    server parses the whole string before it runs any of it (a syntax error
    anywhere runs nothing, and LINE is the file's line) and runs it as one
    implicit transaction. That alone is a correct fix for a plain file, but
    not for a file with a statement that cannot run in a transaction block
    (VACUUM, CREATE INDEX CONCURRENTLY), nor where each statement needs its
    own error report (a runtime error does not say which statement failed),
    nor with parameters sent apart from the SQL (libpq's PQexecParams, as
    psycopg 3 does), which take one statement at a time.
Fix:
    Check all SQL before running any of it: have the server parse each
    statement without executing it (runner.check_sql makes it the body of a
    throwaway SQL function with an anyelement argument, which the server
    parses but neither analyses nor runs), and report file, statement, line
    and column.
Hints:
    - PostgreSQL parses the body of a function when the function is created,
      and runs it only when it is called.
    - Mind whose parser reads the body: a LANGUAGE sql body with a
      polymorphic argument meets the server's own grammar and nothing more;
      PL/pgSQL adds its own, which reads SELECT ... INTO as INTO a variable
      and refuses a valid SELECT ... INTO TEMP x.
    - The server's position counts characters in the text you sent, not in
      your file: take off what you added in front, then count from the line
      where the statement starts.
    - A failed statement aborts the transaction: a savepoint (or a rollback)
      per statement lets the check go on, and the last step is a rollback, so
      nothing is left behind.
"""
import psycopg2
import pytest

from failurelab.expect import must_raise
from sessions.session2 import runner
from sessions.session2.conftest import IDLE, located, transaction_state

pytestmark = pytest.mark.failure_case("configuration", fix=runner.check_sql)

BROKEN = """-- the daily revenue, by product
CREATE TABLE daily AS
SELECT stock_code, sum(quantity * unit_price) AS revenue
FROM bronze.raw_transactions GROUP BY stock_code;

INSERT INTO daily (stock_code, revenue)
SELEC stock_code, 0
FROM bronze.raw_transactions;
"""

# A typo in the middle of a line of the third statement; before it a $$ body with a semicolon
# and comments, which a splitter and a line count must get right.
LATER = """-- helpers first
CREATE FUNCTION pg_temp.one() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
/* a block comment
   over two lines */
CREATE TABLE daily (day date, revenue numeric);

INSERT INTO daily (day, revenue)
SELECT invoice_date::date, sum(quantity * unit_price)
  FROM bronze.raw_transactions
 WHERE quantity > 0 AND AND unit_price > 0
 GROUP BY 1;
"""


def test_wrong_sql_syntax_error_reports_a_line_of_the_statement_after_earlier_statements_ran(bronze, failure):
    bronze.autocommit = True  # the naive runner: each statement on its own, as psql runs a file
    with bronze.cursor() as cur:
        with failure.expect(psycopg2.errors.SyntaxError, pgcode="42601",
                            match=r'syntax error at or near "SELEC"\nLINE 4: SELEC stock_code, 0'):
            for statement in BROKEN.split(";"):  # the typo is on line 7 of the file
                cur.execute(statement)
        cur.execute("SELECT count(*) > 0 FROM daily")  # statement 1 ran before the error, and stays
        assert cur.fetchone() == (True,)


def test_right_sql_syntax_error_is_found_before_running_with_file_line_and_column(tmp_path, conn, solution):
    path = tmp_path / "02_daily.sql"
    path.write_text(BROKEN)
    with must_raise(runner.SqlFileError, "a file with a typo must be refused with runner.SqlFileError") as raised:
        solution.check_sql(conn, path)
    err = raised.value
    assert (err.file, err.statement, err.line, err.column, err.pgcode) == ("02_daily.sql", 2, 7, 1, "42601"), (
        "the typo SELEC is in 02_daily.sql, statement 2, line 7 of the file, column 1 (SQLSTATE 42601); your "
        f"SqlFileError says {located(err)}")
    assert 'syntax error at or near "SELEC"' in str(err), (
        f"the SqlFileError should carry the server's message (pass it the psycopg2 error); it says {str(err)!r}")
    assert transaction_state(conn) == IDLE, (
        f"check_sql should roll back, also when it raises; the connection is in {transaction_state(conn)}")
    with conn.cursor() as cur:  # parsed, not run: the first statement created nothing
        cur.execute("SELECT to_regclass('daily')")
        assert cur.fetchone() == (None,), "check_sql should only parse: table daily of statement 1 was created"
    conn.rollback()


def test_right_sql_syntax_error_counts_file_lines_in_a_later_statement(tmp_path, conn, solution):
    path = tmp_path / "daily.sql"
    path.write_text(LATER)
    with must_raise(runner.SqlFileError, "a typo in the third statement must be refused with runner.SqlFileError",
                    match=r'syntax error at or near "AND"') as raised:
        solution.check_sql(conn, path)
    err = raised.value
    assert (err.file, err.statement, err.line, err.column, err.pgcode) == ("daily.sql", 3, 10, 25, "42601"), (
        "the second AND is in daily.sql, statement 3 (after a $$ body with a semicolon and comments), line 10 of "
        f"the file, column 25 (SQLSTATE 42601); your SqlFileError says {located(err)}")
    assert transaction_state(conn) == IDLE, (
        f"check_sql should roll back, also when it raises; the connection is in {transaction_state(conn)}")


def test_right_sql_syntax_error_check_accepts_the_pipeline_files_before_any_table_exists(conn, solution):
    for path in sorted(runner.SQL_DIR.glob("*.sql")):
        expected = len(runner.split(path.read_text()))
        try:
            checked = solution.check_sql(conn, path)
        except Exception as err:  # any error here is the fix's: say it in words
            pytest.fail(f"check_sql({path.name}) should accept the pipeline's valid file without running it (no "
                        f"table exists yet); it raised {type(err).__name__}: {str(err).strip().splitlines()[0]}",
                        pytrace=False)
        assert checked == expected, (
            f"check_sql({path.name}) should return its {expected} statements; it returned {checked!r}")
        assert transaction_state(conn) == IDLE, (
            f"check_sql({path.name}) should roll back; the connection is in {transaction_state(conn)}")
    with conn.cursor() as cur:  # parsed, not run
        cur.execute("SELECT to_regnamespace('silver')")
        assert cur.fetchone() == (None,), "check_sql should only parse: 00_schema.sql created the silver schema"
    conn.rollback()


# Valid SQL that a PL/pgSQL body misreads: PL/pgSQL takes `SELECT ... INTO` for its own INTO-a-variable.
VALID_INTO = """-- scratch tables for a report
SELECT stock_code, sum(quantity) AS sold INTO TEMP sold_by_code FROM bronze.raw_transactions GROUP BY 1;
SELECT * INTO TEMPORARY TABLE sold_copy FROM sold_by_code;
SELECT * INTO UNLOGGED sold_unlogged FROM sold_by_code;
SELECT * INTO sold_plain FROM sold_by_code;
CREATE TEMP TABLE scratch (stock_code text, sold bigint);
"""
# ... and a real typo in the same shape: INTO TEMP TABLE without the table's name.
NO_NAME = """CREATE TEMP TABLE scratch (stock_code text);
SELECT stock_code INTO TEMP TABLE FROM bronze.raw_transactions;
"""


def test_right_sql_syntax_error_accepts_select_into_temp_and_still_refuses_a_typo(tmp_path, conn, solution):
    path = tmp_path / "scratch.sql"
    path.write_text(VALID_INTO)
    try:
        checked = solution.check_sql(conn, path)
    except Exception as err:  # any error here is the fix's: say it in words
        pytest.fail(f"check_sql should accept valid SQL the server itself accepts (SELECT ... INTO TEMP x, INTO "
                    f"TEMPORARY TABLE x, INTO UNLOGGED x, INTO x, CREATE TEMP TABLE); it raised "
                    f"{type(err).__name__}: {str(err).strip().splitlines()[0]} (a PL/pgSQL body reads SELECT ... "
                    f"INTO as its own INTO a variable)", pytrace=False)
    assert checked == 5, f"check_sql(scratch.sql) should return its 5 statements; it returned {checked!r}"
    assert transaction_state(conn) == IDLE, (
        f"check_sql should roll back; the connection is in {transaction_state(conn)}")
    with conn.cursor() as cur:  # parsed, not run
        cur.execute("SELECT to_regclass('sold_plain'), to_regclass('pg_temp.scratch')")
        assert cur.fetchone() == (None, None), "check_sql should only parse: scratch.sql created tables"
    conn.rollback()
    path.write_text(NO_NAME)
    with must_raise(runner.SqlFileError, "INTO TEMP TABLE without a table name is a real syntax error: refuse it with "
                    "runner.SqlFileError", match=r'syntax error at or near "FROM"') as raised:
        solution.check_sql(conn, path)
    err = raised.value
    assert (err.statement, err.line, err.column, err.pgcode) == (2, 2, 35, "42601"), (
        f"the FROM after INTO TEMP TABLE is in statement 2, line 2, column 35 (SQLSTATE 42601); your SqlFileError says "
        f"{located(err)}")
