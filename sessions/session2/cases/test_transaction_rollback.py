"""Carrying on after a failed statement in the same transaction.

Scenario:
    A runner executes a file's statements in one transaction, logs an error
    and carries on with the next statement, hoping to keep what worked.
Why:
    In PostgreSQL one failed statement aborts the whole transaction: every
    later statement is refused with InFailedSqlTransaction until ROLLBACK.
    The real error is in the log above, the one on screen names a symptom,
    and a commit would end in a rollback of everything anyway.
Fix:
    Make each unit of work (here: one SQL file) one transaction: on error roll
    it back whole, keep the connection usable, and raise one error naming the
    file, the statement and its line (runner.run_file). Use a SAVEPOINT
    only where part of a unit may fail on purpose.
Hints:
    - One file, one transaction: there is one commit, after the last
      statement.
    - After a failed statement, nothing more runs in that transaction until it
      is rolled back: roll back first, then raise the error that names the
      file, the statement and the line.
    - set_config's third argument decides whether a setting outlives the
      transaction.
"""
import psycopg2
import pytest

from failurelab.expect import must_raise
from sessions.session2 import runner, transform
from sessions.session2.conftest import IDLE, located, transaction_state

pytestmark = pytest.mark.failure_case("infrastructure", fix=runner.run_file)

BROKEN = """-- refresh one day by hand
DELETE FROM silver.fact_sales_daily WHERE date_key = 20101201;

-- the calendar row exists already: this fails
INSERT INTO silver.dim_date SELECT * FROM silver.dim_date WHERE date_key = 20101201;

INSERT INTO silver.fact_sales_daily SELECT * FROM silver.fact_sales_daily WHERE false;
"""

GOOD = """-- a small unit of work: 0 + 3 + 2 + 1 rows
CREATE TABLE lab_items (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO lab_items VALUES (1, 'a'), (2, 'b'), (3, 'c');
UPDATE lab_items SET name = upper(name) WHERE id < 3;
DELETE FROM lab_items WHERE id = 3;
"""

# statement 2 fails on its fourth line, where the server points (column "sales" does not exist)
POSITIONED = """CREATE TABLE lab_items (id integer, quantity integer);

INSERT INTO lab_items (id, quantity)
SELECT g, g * 2
  FROM generate_series(1, 3) AS g
 WHERE sales > 0;
"""

SETTINGS = """CREATE TABLE lab_seen AS SELECT current_setting('lab.day') AS day;"""


def test_wrong_transaction_rollback_next_statement_after_an_error_is_refused(bronze, failure):
    transform.run(bronze)
    errors = []
    with bronze.cursor() as cur:
        for statement in runner.split(BROKEN)[:2]:
            try:
                cur.execute(statement.text)
            except psycopg2.errors.UniqueViolation as e:
                errors.append(e)  # "log it and carry on"
        with failure.expect(psycopg2.errors.InFailedSqlTransaction, pgcode="25P02",
                            match=r"^current transaction is aborted, commands ignored until end of transaction block"):
            cur.execute(runner.split(BROKEN)[2].text)
    assert [e.pgcode for e in errors] == ["23505"]
    bronze.rollback()


def test_right_transaction_rollback_rolls_the_file_back_whole_and_names_the_line(bronze, tmp_path, solution):
    transform.run(bronze)
    path = tmp_path / "refresh_day.sql"
    path.write_text(BROKEN)
    count = "SELECT count(*) FROM silver.fact_sales_daily WHERE date_key = 20101201"
    with bronze.cursor() as cur:
        cur.execute(count)
        before = cur.fetchone()[0]
    bronze.rollback()
    with must_raise(runner.SqlFileError, "a file whose second statement fails must raise runner.SqlFileError",
                    match=r'duplicate key value violates unique constraint "dim_date_pkey"') as raised:
        solution.run_file(bronze, path)
    err = raised.value
    assert (err.file, err.statement, err.line, err.pgcode) == ("refresh_day.sql", 2, 5, "23505"), (
        "the failing INSERT is refresh_day.sql, statement 2, starting on line 5 (SQLSTATE 23505); your "
        f"SqlFileError says {located(err)}")
    assert transaction_state(bronze) == IDLE, (
        f"run_file should roll the failed file back, leaving the connection usable; it is in "
        f"{transaction_state(bronze)}")
    with bronze.cursor() as cur:  # the DELETE of statement 1 was rolled back; the connection still works
        cur.execute(count)
        after = cur.fetchone()[0]
    bronze.rollback()
    assert after == before > 0, (
        f"statement 1 (DELETE of day 20101201) should be rolled back with the failed file: {before} fact rows "
        f"before, {after} after")
    transform.reconcile(bronze)


def test_right_transaction_rollback_reports_the_line_the_server_points_at(conn, tmp_path, solution):
    path = tmp_path / "load_items.sql"
    path.write_text(POSITIONED)
    with must_raise(runner.SqlFileError, "a file whose second statement fails must raise runner.SqlFileError",
                    match=r'column "sales" does not exist') as raised:
        solution.run_file(conn, path)
    err = raised.value
    assert (err.file, err.statement, err.line, err.column, err.pgcode) == ("load_items.sql", 2, 6, 8, "42703"), (
        "the server points at sales: load_items.sql, statement 2, line 6 of the file, column 8 (SQLSTATE 42703); "
        f"your SqlFileError says {located(err)}")
    assert transaction_state(conn) == IDLE, (
        f"run_file should roll the failed file back; the connection is in {transaction_state(conn)}")
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('lab_items')")
        assert cur.fetchone() == (None,), "the table of statement 1 should be rolled back with the failed file"
    conn.rollback()


def test_right_transaction_rollback_commits_a_good_file_and_counts_its_rows(db, conn, tmp_path, solution):
    path = tmp_path / "items.sql"
    path.write_text(GOOD)
    rows = solution.run_file(conn, path)
    assert rows == 6, (f"run_file should return the rows its statements affected, 0 (CREATE) + 3 (INSERT) + "
                       f"2 (UPDATE) + 1 (DELETE) = 6; it returned {rows!r}")
    assert transaction_state(conn) == IDLE, (
        f"run_file should commit a file that ran; the connection is in {transaction_state(conn)}")
    other = db.connect()
    try:
        with other.cursor() as cur:
            cur.execute("SELECT to_regclass('lab_items') IS NOT NULL")
            created = cur.fetchone()[0]
            names = None
            if created:
                cur.execute("SELECT id, name FROM lab_items ORDER BY id")
                names = cur.fetchall()
    finally:
        other.close()
    assert names == [(1, "A"), (2, "B")], (
        f"another connection should see the committed file (rows (1, 'A'), (2, 'B')); it sees {names!r}")


def test_right_transaction_rollback_settings_hold_for_the_file_only(conn, tmp_path, solution):
    path = tmp_path / "seen.sql"
    path.write_text(SETTINGS)
    solution.run_file(conn, path, {"lab.day": "2011-12-09"})
    with conn.cursor() as cur:
        cur.execute("SELECT day FROM lab_seen")
        seen = cur.fetchall()
        cur.execute("SELECT current_setting('lab.day', true)")
        left = cur.fetchone()[0]
    conn.rollback()
    assert seen == [("2011-12-09",)], f"the file's statements should see setting lab.day = 2011-12-09; they saw {seen}"
    assert left in (None, ""), (
        f"the settings should hold for the file's transaction only (set_config(key, value, true)); after run_file "
        f"the connection still has lab.day = {left!r}")
