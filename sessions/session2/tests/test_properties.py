"""Properties of the transform: bronze's row order does not matter; a re-run changes nothing."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from failurelab import sampledata
from sessions.session2 import transform
from sessions.session2.conftest import load_bronze

FRAME = sampledata.generate(400, seed=7)
FACT = """SELECT d.full_date, p.stock_code, f.sold_quantity, f.sold_revenue, f.sale_invoices, f.cancelled_quantity,
                 f.cancelled_revenue, f.cancel_invoices, f.adjusted_quantity, f.adjusted_revenue, f.bronze_lines
          FROM silver.fact_sales_daily f JOIN silver.dim_date d USING (date_key)
          JOIN silver.dim_product p USING (product_key) ORDER BY 1, 2"""
PRODUCTS = "SELECT stock_code, description, is_product, source_codes, descriptions_seen FROM silver.dim_product ORDER BY 1"
UNTOUCHED = """SELECT (SELECT array_agg(xmin::text ORDER BY product_key) FROM silver.dim_product),
                      (SELECT array_agg(xmin::text ORDER BY date_key) FROM silver.dim_date)"""


def snapshot(conn, *queries):
    with conn.cursor() as cur:
        out = []
        for query in queries:
            cur.execute(query)
            out.append(cur.fetchall())
    conn.rollback()
    return out


def rebuild(conn, frame):
    """Empty database again (one per test, reset per example), then bronze → silver."""
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS silver CASCADE; DROP SCHEMA IF EXISTS bronze CASCADE")
    conn.commit()
    load_bronze(conn, frame)
    transform.run(conn)


@pytest.fixture
def expected(conn):
    rebuild(conn, FRAME)
    return snapshot(conn, FACT, PRODUCTS)


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.randoms(use_true_random=False))
def test_fact_and_products_do_not_depend_on_the_order_of_bronze_rows(conn, expected, order):
    shuffled = FRAME.sample(frac=1, random_state=order.randrange(2**32)).reset_index(drop=True)
    rebuild(conn, shuffled)
    assert snapshot(conn, FACT, PRODUCTS) == expected


@settings(max_examples=3, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.dates(FRAME["InvoiceDate"].min().date(), FRAME["InvoiceDate"].max().date()), max_size=3)
       | st.none())
def test_running_again_changes_nothing(conn, expected, days):
    before = snapshot(conn, FACT, PRODUCTS, UNTOUCHED)
    transform.run(conn, days)
    assert snapshot(conn, FACT, PRODUCTS, UNTOUCHED) == before  # dimension rows not even rewritten
