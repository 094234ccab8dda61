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
"""
import psycopg2
import pytest

from sessions.session2 import runner, transform

pytestmark = pytest.mark.failure_case("infrastructure", fix=runner.run_file)

BROKEN = """-- refresh one day by hand
DELETE FROM silver.fact_sales_daily WHERE date_key = 20101201;

-- the calendar row exists already: this fails
INSERT INTO silver.dim_date SELECT * FROM silver.dim_date WHERE date_key = 20101201;

INSERT INTO silver.fact_sales_daily SELECT * FROM silver.fact_sales_daily WHERE false;
"""


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
    with pytest.raises(runner.SqlFileError, match=r'^refresh_day\.sql, statement 2, line 5: duplicate key value '
                                                  r'violates unique constraint "dim_date_pkey" \[SQLSTATE 23505\]$'):
        solution.run_file(bronze, path)
    with bronze.cursor() as cur:  # the DELETE of statement 1 was rolled back; the connection still works
        cur.execute(count)
        assert cur.fetchone()[0] == before > 0
    bronze.rollback()
    transform.reconcile(bronze)
