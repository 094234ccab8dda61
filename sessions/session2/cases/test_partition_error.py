"""A row for a month the fact has no partition for.

Scenario:
    fact_sales_daily is partitioned by month, and the partitions were made
    for the months the data covered when the table was created. A batch for
    January 2012 arrives; the fact file is run on its own.
Why:
    A partitioned table stores nothing itself: every row must fall into one
    partition's range. For a key outside all of them PostgreSQL refuses the
    whole statement with a CheckViolation naming the partitioned table.
Fix:
    Create the partitions the data needs before loading: read the months
    bronze covers and CREATE TABLE … PARTITION OF for each missing one
    (transform.ensure_partitions, run by transform.run before the fact). A
    DEFAULT partition would also take the row, but hides the gap, and the
    month's partition cannot be created later until its rows are moved out
    of the default by hand.
"""
import psycopg2
import pytest

from sessions.session2 import runner, transform
from sessions.session2.conftest import add_batch

pytestmark = pytest.mark.failure_case("infrastructure", fix=transform.ensure_partitions)


def test_wrong_partition_error_row_outside_every_partition_is_refused(bronze, failure):
    transform.run(bronze)
    add_batch(bronze, "2012-01-03", codes=("85123A",))
    runner.run_file(bronze, runner.SQL_DIR / "01_dim_date.sql")     # the dimensions are fine
    runner.run_file(bronze, runner.SQL_DIR / "02_dim_product.sql")
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.CheckViolation, pgcode="23514",
            match=r'no partition of relation "fact_sales_daily" found for row\nDETAIL:  Partition key '
                  r'of the failing row contains \(date_key\) = \(20120103\)'):
        cur.execute((runner.SQL_DIR / "03_fact_sales_daily.sql").read_text())
    bronze.rollback()


def test_wrong_partition_error_default_partition_takes_the_row_but_blocks_the_month_later(bronze, failure):
    transform.run(bronze)
    add_batch(bronze, "2012-01-03", codes=("85123A",))
    with bronze.cursor() as cur:
        cur.execute("CREATE TABLE silver.fact_sales_daily_default PARTITION OF silver.fact_sales_daily DEFAULT")
    bronze.commit()
    for name in ("01_dim_date.sql", "02_dim_product.sql", "03_fact_sales_daily.sql"):
        runner.run_file(bronze, runner.SQL_DIR / name)  # January lands in the default: no error, gap hidden
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.CheckViolation, pgcode="23514",
            match=r'updated partition constraint for default partition "fact_sales_daily_default" '
                  r'would be violated by some row'):
        cur.execute("CREATE TABLE silver.fact_sales_daily_y2012m01 PARTITION OF silver.fact_sales_daily "
                    "FOR VALUES FROM (20120101) TO (20120201)")
    bronze.rollback()


def test_right_partition_error_creates_the_missing_month_then_loads(bronze, solution):
    transform.run(bronze)
    add_batch(bronze, "2012-01-03", codes=("85123A",))
    assert solution.ensure_partitions(bronze) == ["fact_sales_daily_y2012m01"]
    assert solution.ensure_partitions(bronze) == []  # idempotent
    transform.run(bronze)
    with bronze.cursor() as cur:
        cur.execute("SELECT sum(bronze_lines) FROM silver.fact_sales_daily_y2012m01")
        assert cur.fetchone() == (3,)
