"""The transform end to end: report, scope, connection handling, CLI, real data."""
from datetime import date

import pytest

from sessions.session1 import reader
from sessions.session2 import runner, transform
from sessions.session2.conftest import load_bronze, query as rows

FACT = "SELECT date_key, product_key, sold_quantity, sold_revenue, cancelled_quantity, bronze_lines " \
       "FROM silver.fact_sales_daily ORDER BY 1, 2"


def test_the_sample_builds_a_star_schema_that_reconciles(bronze):
    report = transform.run(bronze)
    assert report.bronze_rows == report.fact_lines + report.excluded_lines > 1900
    assert report.excluded_lines > 0 and report.non_products > 0  # POST, M, DOT … kept out of the fact
    assert report.dates == 374 and report.days is None
    assert "reconciled" in report.summary() and set(report.steps) >= {"02_dim_product.sql", "partitions", "reconcile"}
    cancelled = rows(bronze, "SELECT sum(cancelled_quantity), sum(cancel_invoices) FROM silver.fact_sales_daily")
    assert cancelled[0][0] < 0 and cancelled[0][1] > 0  # cancellations kept apart from sales


def test_refreshing_some_days_gives_the_same_fact_as_a_full_rebuild(bronze):
    transform.run(bronze)
    full = rows(bronze, FACT)
    with bronze.cursor() as cur:
        cur.execute("DELETE FROM silver.fact_sales_daily WHERE date_key IN (20101201, 20111209)")
    bronze.commit()
    report = transform.run(bronze, [date(2011, 12, 9), date(2010, 12, 1), date(2011, 12, 9)])
    assert report.days == [date(2010, 12, 1), date(2011, 12, 9)]
    assert rows(bronze, FACT) == full


def test_an_empty_list_of_days_refreshes_no_fact_day(bronze):
    transform.run(bronze)
    untouched = "SELECT array_agg(xmin::text ORDER BY date_key, product_key) FROM silver.fact_sales_daily"
    before = rows(bronze, untouched)
    report = transform.run(bronze, [])  # e.g. no new batch today: not "all days"
    assert report.days == [] and "03_fact_sales_daily.sql" not in report.steps
    assert rows(bronze, untouched) == before  # not one fact row rewritten


def test_an_autocommit_connection_is_handed_back_as_it_came(bronze):
    bronze.autocommit = True
    transform.run(bronze)
    assert bronze.autocommit is True


def test_an_open_transaction_of_the_caller_is_not_committed_behind_its_back(bronze):
    with bronze.cursor() as cur:
        cur.execute("SELECT 1")  # psycopg2 opened a transaction
        with pytest.raises(transform.TransformError, match="open transaction: commit or roll back"):
            transform.run(bronze)


def test_the_cli_prints_the_summary_and_fails_with_one_line(bronze, db_env, capsys):
    assert transform.main([]) == 0
    assert "reconciled" in capsys.readouterr().out
    with bronze.cursor() as cur:
        cur.execute("DROP SCHEMA bronze CASCADE")
    bronze.commit()
    assert transform.main([]) == 1
    assert capsys.readouterr().err.startswith("transform failed: bronze.raw_transactions does not exist")


@pytest.mark.parametrize("description, real", [
    ("WHITE HANGING HEART T-LIGHT HOLDER", True), ("BAG 125g SWIRLY MARBLES", True),
    ("FLOWERS HANDBAG blue and orange", True),  # real names carry units and colours in lower case
    ("wrongly marked carton 22804", False), ("Found", False), ("?", False), ("", False)])
def test_a_real_description_is_mostly_capitals_and_a_warehouse_note_is_not(conn, description, real):
    runner.run_file(conn, runner.SQL_DIR / "00_schema.sql")
    with conn.cursor() as cur:
        cur.execute("SELECT silver.is_real_description(%s)", (description,))
        assert cur.fetchone() == (real,)


def test_the_pipeline_applies_the_documented_product_policy(bronze):
    transform.run(bronze)
    assert rows(bronze, "SELECT count(*) = count(DISTINCT stock_code) FROM silver.dim_product") == [(True,)]
    assert rows(bronze, "SELECT stock_code, description, is_product, source_codes FROM silver.dim_product "
                        "WHERE stock_code IN ('85123A', '15056BL', 'DOT', '21777') ORDER BY 1") == [
        ("15056BL", "EDWARDIAN PARASOL BLACK", True, ["15056BL", "15056bl"]),
        ("21777", "UNKNOWN", True, ["21777"]),  # only a note "damaged" was seen
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", True, ["85123A"]),  # not CREAM …, "?" or a note
        ("DOT", "DOTCOM POSTAGE", False, ["DOT"])]  # kept, flagged, not in the fact


def test_real_data_five_days_applies_the_product_policy(conn, real_data):
    frame = reader.read_source(real_data.parent / "online_retail_sample_5days.csv")
    load_bronze(conn, frame, "five_days.csv")
    report = transform.run(conn)
    assert report.fact_lines + report.excluded_lines == report.bronze_rows
    products = dict(rows(conn, "SELECT stock_code, description FROM silver.dim_product"))
    assert products["85123A"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert products["21703"] == "BAG 125g SWIRLY MARBLES"  # lower-case units do not make it a note
    assert all(code == code.upper() for code in products)  # twins like 15056bl are folded into 15056BL
    flagged = rows(conn, "SELECT stock_code FROM silver.dim_product WHERE NOT is_product ORDER BY 1")
    assert {"POST", "M"} <= {code for (code,) in flagged}
