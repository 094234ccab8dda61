"""Transform started before its input exists.

Scenario:
    The transform runs against a database where session 1 never ran (or
    DB_NAME points at another database): bronze.raw_transactions is not there.
Why:
    A pipeline step depends on the step before it. Without a check, the first
    query that touches bronze fails with a bare UndefinedTable, after other
    files may already have run, and the message does not say which job to run
    or which database was used.
Fix:
    Check dependencies before any work: the table exists and has rows, else
    fail with one message naming the database and the job to run first
    (session 1's ingest). transform.run does this first.
"""
import psycopg2
import pytest

from sessions.session2 import runner, transform

pytestmark = pytest.mark.failure_case("infrastructure", fix=transform.check_dependencies)


def test_wrong_missing_bronze_table_fails_half_way_with_a_bare_undefined_table(conn, failure):
    with conn.cursor() as cur, failure.expect(psycopg2.errors.UndefinedTable, pgcode="42P01",
                                              match=r'relation "bronze\.raw_transactions" does not exist'):
        for name in transform.FILES:  # no check first: each file run and committed in turn
            cur.execute((runner.SQL_DIR / name).read_text())
            conn.commit()
    conn.rollback()
    with conn.cursor() as cur:  # the schema file ran before the failure: silver is half built
        cur.execute("SELECT to_regclass('silver.dim_date') IS NOT NULL")
        assert cur.fetchone() == (True,)


def test_right_missing_bronze_table_is_found_before_any_work_with_the_next_step(conn, solution):
    with pytest.raises(transform.MissingDependency, match=r"bronze\.raw_transactions does not exist in database "
                       r"'lab_\w+': run session 1 first"):
        solution.check_dependencies(conn)
    with conn.cursor() as cur:  # nothing was created on the way: the check ran before any work
        cur.execute("SELECT to_regnamespace('silver')")
        assert cur.fetchone() == (None,)


def test_right_missing_bronze_table_also_refuses_an_empty_bronze(conn, solution):
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA bronze; CREATE TABLE bronze.raw_transactions (stock_code text)")
    conn.commit()
    with pytest.raises(transform.MissingDependency, match=r"is empty: run session 1's ingest first"):
        solution.check_dependencies(conn)


def test_right_missing_bronze_table_passes_and_counts_a_loaded_bronze(bronze, solution):
    assert solution.check_dependencies(bronze) > 1900
