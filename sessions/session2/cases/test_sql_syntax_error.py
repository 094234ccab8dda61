"""A typo in a SQL file.

Scenario:
    Someone edits a transformation file and leaves a typo: a missing comma, a
    keyword spelled SELEC. The job runs the file statement by statement.
Why:
    PostgreSQL parses a statement only when it is sent, so the statements
    before the broken one have already changed the database when the
    SyntaxError appears. And its LINE counts from the start of the statement
    it was sent, not of the file: the typo on line 7 is reported as LINE 4.
Fix:
    Check all SQL before running any of it: have the server parse each
    statement without executing it (runner.check_sql wraps it in a throwaway
    PL/pgSQL function), and report file, statement, line and column.
"""
import psycopg2
import pytest

from sessions.session2 import runner

pytestmark = pytest.mark.failure_case("configuration", fix=runner.check_sql)

BROKEN = """-- the daily revenue, by product
CREATE TABLE daily AS
SELECT stock_code, sum(quantity * unit_price) AS revenue
FROM bronze.raw_transactions GROUP BY stock_code;

INSERT INTO daily (stock_code, revenue)
SELEC stock_code, 0
FROM bronze.raw_transactions;
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
    with pytest.raises(runner.SqlFileError, match=r'^02_daily\.sql, statement 2, line 7, column 1: '
                                                  r'syntax error at or near "SELEC" \[SQLSTATE 42601\]$') as raised:
        solution.check_sql(conn, path)
    assert raised.value.pgcode == "42601"
    with conn.cursor() as cur:  # parsed, not run: the first statement created nothing
        cur.execute("SELECT to_regclass('daily')")
        assert cur.fetchone() == (None,)


def test_right_sql_syntax_error_check_accepts_the_pipeline_files_before_any_table_exists(conn, solution):
    for path in sorted(runner.SQL_DIR.glob("*.sql")):
        assert solution.check_sql(conn, path) >= 1
