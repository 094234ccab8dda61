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
Hints:
    - Ask before you touch: the catalog can tell whether a table exists
      without an error. A query on a table that is not there fails, and a
      failed query leaves the whole transaction aborted.
    - A name alone is not enough: a raw_transactions table in another schema
      is not bronze's.
    - Whatever happens, hand the connection back the way it came: no
      transaction left open, whether you return or raise
      (conn.info.transaction_status tells).
"""
import psycopg2
import pytest

from failurelab.expect import must_raise
from sessions.session2 import runner, transform
from sessions.session2.conftest import IDLE, transaction_state

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


def database_of(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        name = cur.fetchone()[0]
    conn.rollback()
    return name


def test_right_missing_bronze_table_is_found_before_any_work_with_the_next_step(conn, solution):
    database = database_of(conn)
    with must_raise(transform.MissingDependency, "a database without bronze must be refused before any work") as err:
        solution.check_dependencies(conn)
    message = str(err.value)
    for what, part in (("the table", "bronze.raw_transactions"), ("the database", database),
                       ("the next step", "run session 1 first")):
        assert part.lower() in message.lower(), f"the MissingDependency message should name {what} ({part!r}); yours says {message!r}"
    assert transaction_state(conn) == IDLE, (
        f"check_dependencies should leave no transaction open when it fails; the connection is in "
        f"{transaction_state(conn)}: roll back before raising")
    with conn.cursor() as cur:  # nothing was created on the way: the check ran before any work
        cur.execute("SELECT to_regnamespace('silver'), to_regnamespace('bronze')")
        assert cur.fetchone() == (None, None), "check_dependencies should only look: it created a schema"
    conn.rollback()


def test_right_missing_bronze_table_looks_for_the_table_in_the_bronze_schema(conn, solution):
    with conn.cursor() as cur:  # a table of that name elsewhere, and a bronze schema without it
        cur.execute("CREATE TABLE public.raw_transactions AS SELECT 'x' AS stock_code; CREATE SCHEMA bronze")
    conn.commit()
    with must_raise(transform.MissingDependency, "bronze.raw_transactions is missing (public.raw_transactions and "
                    "an empty bronze schema do not count)", match=r"(?i)run session 1 first"):
        solution.check_dependencies(conn)
    assert transaction_state(conn) == IDLE, (
        f"check_dependencies should leave no transaction open when it fails; the connection is in "
        f"{transaction_state(conn)}")


def test_right_missing_bronze_table_also_refuses_an_empty_bronze(conn, solution):
    database = database_of(conn)
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA bronze; CREATE TABLE bronze.raw_transactions (stock_code text)")
    conn.commit()
    with must_raise(transform.MissingDependency, "an empty bronze.raw_transactions must be refused") as err:
        solution.check_dependencies(conn)
    message = str(err.value)
    for what, part in (("the table", "bronze.raw_transactions"), ("the database", database),
                       ("what is wrong", "is empty"), ("the next step", "run session 1")):
        assert part.lower() in message.lower(), f"the MissingDependency message should name {what} ({part!r}); yours says {message!r}"
    assert transaction_state(conn) == IDLE, (
        f"check_dependencies should leave no transaction open when it fails; the connection is in "
        f"{transaction_state(conn)}")


def test_right_missing_bronze_table_passes_and_counts_a_loaded_bronze(bronze, solution):
    with bronze.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.raw_transactions")
        rows = cur.fetchone()[0]
    bronze.rollback()
    counted = solution.check_dependencies(bronze)
    assert counted == rows, f"check_dependencies should return bronze's {rows} rows; it returned {counted!r}"
    assert transaction_state(bronze) == IDLE, (
        f"check_dependencies should leave no transaction open when it passes; the connection is in "
        f"{transaction_state(bronze)}: roll back (or commit) after reading")
