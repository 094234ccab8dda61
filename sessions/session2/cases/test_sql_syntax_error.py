"""A typo in a SQL file.

Scenario:
    Someone edits a transformation file and leaves a typo: a missing comma, a
    keyword spelled SELEC. The job runs the files one after another.
Why:
    PostgreSQL reports a SyntaxError with a character position inside the
    statement it was sent, not a line of the file. Run file by file, the
    files before the broken one have already changed the database when the
    error appears, and the reader has to count characters to find the typo.
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
FROM bronze.raw_transactions;

INSERT INTO daily (stock_code, revenue)
SELEC stock_code, 0
FROM bronze.raw_transactions;
"""


def test_wrong_sql_syntax_error_reports_a_character_position_after_earlier_statements_ran(conn, failure):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE earlier_step (n int)")  # a file that ran before: already done
        conn.commit()
        with failure.expect(psycopg2.errors.SyntaxError, pgcode="42601", match=r'syntax error at or near "SELEC"'):
            cur.execute(BROKEN)
    assert "LINE 7" in str(failure.seen[-1])  # a line of the string it was sent, not of a file
    conn.rollback()


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
