"""What the sql_syntax_error case says about a whole file sent in ONE execute (the simple query protocol)."""
import psycopg2
import pytest

FILE = """-- three statements, a typo in the third
CREATE TABLE daily (day date, revenue numeric);
INSERT INTO daily VALUES ('2010-12-01', 1.5);

INSERT INTO daily (day, revenue)
SELEC '2010-12-02', 2.5;
"""


def exists(conn, table: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        return cur.fetchone()[0]


def test_the_whole_string_is_parsed_before_any_of_it_runs_and_line_is_the_files(conn):
    conn.autocommit = True  # no transaction of psycopg2's: what the server does on its own
    with pytest.raises(psycopg2.errors.SyntaxError, match=r'syntax error at or near "SELEC"\nLINE 6: SELEC') as raised:
        with conn.cursor() as cur:
            cur.execute(FILE)
    assert raised.value.pgcode == "42601"
    assert not exists(conn, "daily")  # statements 1 and 2 never ran


def test_it_runs_as_one_implicit_transaction_a_later_error_undoes_the_earlier_statements(conn):
    conn.autocommit = True
    with pytest.raises(psycopg2.errors.DivisionByZero, match="^division by zero") as raised:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE daily (n int); INSERT INTO daily VALUES (1); SELECT 1 / 0;")
    assert raised.value.diag.statement_position is None  # and nothing says which statement failed
    assert not exists(conn, "daily")


def test_a_statement_that_cannot_run_in_a_transaction_block_is_refused_there(conn):
    conn.autocommit = True
    with pytest.raises(psycopg2.errors.ActiveSqlTransaction, match="^VACUUM cannot run inside a transaction block"):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE daily (n int); VACUUM daily;")
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE daily (n int)")
        cur.execute("VACUUM daily")  # alone, it runs
