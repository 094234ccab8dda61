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
Hints:
    - Which months does bronze cover, from its first day to its last?
      generate_series also counts in months.
    - A range partition's upper bound is exclusive.
    - Ask the catalog which partitions exist before creating one: an error
      inside the transaction would undo the partitions created before it.
"""
import psycopg2
import pytest

from sessions.session2 import runner, transform
from sessions.session1.ingest import ingest_frame
from sessions.session2.conftest import IDLE, add_batch, add_rows, hand_batch, transaction_state

PARTITIONS = """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'silver.fact_sales_daily'::regclass
                ORDER BY 1"""
# a month's first and last day, and a month after a gap (February 2012 has no sales)
EDGES = [("600001", "85123A", 2, 2.55, "2012-01-01"), ("600002", "85123A", 3, 2.55, "2012-01-31"),
         ("600003", "85123A", 4, 2.55, "2012-03-01"), ("600004", "85123A", 5, 2.55, "2012-03-31")]


def partitions(db) -> dict[str, str]:
    """The fact's partitions and their bounds, as another connection sees them (committed only)."""
    other = db.connect()
    try:
        with other.cursor() as cur:
            cur.execute(PARTITIONS)
            return dict(cur.fetchall())
    finally:
        other.close()


def bound(month: str) -> str:
    year, mm = int(month[:4]), int(month[4:])
    following = f"{year + 1}01" if mm == 12 else f"{year}{mm + 1:02d}"
    return f"FOR VALUES FROM ({month}01) TO ({following}01)"


def load_fact_without_partitioning(conn) -> None:
    """The dimension and fact files alone: they create no partition, so the ones the fix made must do."""
    for name in ("01_dim_date.sql", "02_dim_product.sql", "03_fact_sales_daily.sql"):
        runner.run_file(conn, runner.SQL_DIR / name)

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
    created = solution.ensure_partitions(bronze)
    assert created == ["fact_sales_daily_y2012m01"], (
        f"a batch for January 2012 needs one new partition, ['fact_sales_daily_y2012m01']; "
        f"ensure_partitions returned {created!r}")
    again = solution.ensure_partitions(bronze)
    assert again == [], f"a second call has nothing to create and should return []; it returned {again!r}"
    assert transaction_state(bronze) == IDLE, (
        f"ensure_partitions should leave no transaction open, also when it has nothing to create; the connection "
        f"is in {transaction_state(bronze)}")
    load_fact_without_partitioning(bronze)
    with bronze.cursor() as cur:
        cur.execute("SELECT sum(bronze_lines) FROM silver.fact_sales_daily_y2012m01")
        lines = cur.fetchone()[0]
    bronze.rollback()
    assert lines == 3, f"the 3 lines of 2012-01-03 should be in fact_sales_daily_y2012m01; it holds {lines}"


def test_right_partition_error_covers_the_last_month_whatever_its_day_and_time(db, bronze, solution):
    transform.run(bronze)
    with bronze.cursor() as cur:
        cur.execute("SELECT min(invoice_date)::text FROM bronze.raw_transactions")
        first = cur.fetchone()[0]
    bronze.rollback()
    # bronze's last row on the 1st of a month, earlier in the day than its first row (2010-12-01, later than 07:00)
    ingest_frame(bronze, hand_batch([("600010", "85123A", 2, 2.55, "2012-01-01")], day_time="07:00"),
                 "batch_2012-01-01.csv")
    created = solution.ensure_partitions(bronze)
    assert created == ["fact_sales_daily_y2012m01"], (
        "bronze now runs from " + first + " to 2012-01-01 07:00: the month of its last row, January 2012, is due "
        "whatever the day and time of that row (count months from the month of the first row, not from its "
        f"timestamp); ensure_partitions returned {created!r}, due ['fact_sales_daily_y2012m01']")
    made = partitions(db)
    assert made.get("fact_sales_daily_y2012m01") == bound("201201"), (
        f"another connection should see fact_sales_daily_y2012m01 {bound('201201')}, committed; it sees "
        f"{made.get('fact_sales_daily_y2012m01')!r}")


def test_right_partition_error_builds_every_month_for_a_new_fact(db, bronze, solution):
    runner.run_file(bronze, runner.SQL_DIR / "00_schema.sql")  # the fact exists, without any partition
    created = solution.ensure_partitions(bronze)
    due = ["fact_sales_daily_y2010m12"] + [f"fact_sales_daily_y2011m{m:02d}" for m in range(1, 13)]
    assert created == due, (
        f"ensure_partitions returned {created!r}; due: all 13 months of bronze (2010-12-01 … 2011-12-09), oldest "
        "first, for a fact without partitions")
    made = partitions(db)
    assert sorted(made) == due, f"another connection should see the 13 partitions, committed; it sees {sorted(made)}"
    wrong = {name: made[name] for name in due if made[name] != bound(name[-7:-3] + name[-2:])}
    assert not wrong, (
        "each month's partition goes from its first day to the first day of the next month (the upper bound is "
        f"exclusive; December's is next January's), e.g. {bound('201112')}; these differ: {wrong}")


def test_right_partition_error_creates_every_missing_month_at_once(db, bronze, solution):
    transform.run(bronze)
    with bronze.cursor() as cur:  # a month lost in the middle (dropped by hand, or never made)
        cur.execute("DROP TABLE silver.fact_sales_daily_y2011m06")
    bronze.commit()
    add_rows(bronze, "batch_2012.csv", EDGES)  # January and March 2012; February has no sales
    created = solution.ensure_partitions(bronze)
    due = ["fact_sales_daily_y2011m06", "fact_sales_daily_y2012m01", "fact_sales_daily_y2012m02",
           "fact_sales_daily_y2012m03"]
    assert created == due, (
        f"ensure_partitions returned {created!r}; due: {due}. Bronze now runs to 2012-03-31 and June 2011 has no "
        "partition: every month from the first to the last without a partition is due, the gap month 2012-02 "
        "too, oldest first")
    assert transaction_state(bronze) == IDLE, (
        f"ensure_partitions should commit; the connection is in {transaction_state(bronze)}")
    made = partitions(db)
    missing = [name for name in due if name not in made]
    assert not missing, f"another connection should see the new partitions, committed; it does not see {missing}"
    wrong = {name: made[name] for name in due if made[name] != bound(name[-7:-3] + name[-2:])}
    assert not wrong, (
        "each month's partition goes from its first day to the first day of the next month (the upper bound is "
        f"exclusive), e.g. {bound('201202')}; these differ: {wrong}")


def test_right_partition_error_month_bounds_take_the_first_and_last_day(bronze, solution):
    transform.run(bronze)
    add_rows(bronze, "batch_2012.csv", EDGES)
    solution.ensure_partitions(bronze)
    try:
        load_fact_without_partitioning(bronze)
    except runner.SqlFileError as err:
        pytest.fail(f"after ensure_partitions the fact should load every day of bronze; it failed: {err}",
                    pytrace=False)
    with bronze.cursor() as cur:
        cur.execute("SELECT date_key, tableoid::regclass::text FROM silver.fact_sales_daily "
                    "WHERE date_key >= 20120101 ORDER BY 1")
        placed = cur.fetchall()
    bronze.rollback()
    assert placed == [(20120101, "silver.fact_sales_daily_y2012m01"), (20120131, "silver.fact_sales_daily_y2012m01"),
                      (20120301, "silver.fact_sales_daily_y2012m03"), (20120331, "silver.fact_sales_daily_y2012m03")], (
        f"the first and the last day of a month belong to that month's partition; they landed in {placed}")
