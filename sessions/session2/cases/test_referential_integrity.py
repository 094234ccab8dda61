"""A fact row pointing at a day the calendar does not have.

Scenario:
    The calendar was built for the data's range when the project started.
    A new daily batch arrives for 2011-12-10, and the fact load computes the
    date key from the invoice date instead of taking it from dim_date.
Why:
    The foreign key fact_sales_daily.date_key → dim_date refuses a key that
    does not exist: the load fails with a ForeignKeyViolation. Without the
    constraint the row would be kept, and every report joining the calendar
    would drop it: an orphan.
Fix:
    Load dimensions first, then insert the fact through joins to them, so a
    key can only be one that exists; before that, an orphan-finding query
    (transform.find_orphans) lists bronze rows no dimension row matches.
"""
import psycopg2
import pytest

from sessions.session2 import transform
from sessions.session2.conftest import add_batch

pytestmark = pytest.mark.failure_case("business_logic", fix=[transform.find_orphans, transform.run])

COMPUTED_KEY_INSERT = """
INSERT INTO silver.fact_sales_daily
SELECT to_char(b.invoice_date, 'YYYYMMDD')::integer,  -- computed, not looked up in dim_date
       p.product_key, sum(quantity), sum(quantity * unit_price), count(DISTINCT invoice_no), 0, 0, 0, 0, 0, count(*)
FROM bronze.raw_transactions b JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
WHERE b.invoice_date::date = '2011-12-10'
GROUP BY 1, 2"""


def test_wrong_referential_integrity_computed_date_key_violates_the_foreign_key(bronze, failure):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10", codes=("85123A",))
    with bronze.cursor() as cur, failure.expect(
            psycopg2.errors.ForeignKeyViolation, pgcode="23503",
            match=r'insert or update on table "fact_sales_daily_y2011m12" violates foreign key constraint '
                  r'"fact_sales_daily_date_key_fkey"\nDETAIL:  Key \(date_key\)=\(20111210\) is not present'):
        cur.execute(COMPUTED_KEY_INSERT)
    bronze.rollback()


def test_right_referential_integrity_finds_orphans_then_loads_dimensions_first(bronze, solution):
    transform.run(bronze)
    add_batch(bronze, "2011-12-10")
    orphans = solution.find_orphans(bronze)
    assert [(reason, str(day), code, n) for reason, day, code, n in orphans] == [
        ("no dim_date row", "2011-12-10", "23999", 3), ("no dim_date row", "2011-12-10", "85123A", 3)]
    solution.run(bronze, [orphans[0][1]])  # refresh just that day: the dimensions come first anyway
    assert solution.find_orphans(bronze) == []
    with bronze.cursor() as cur:
        cur.execute("""SELECT p.stock_code, f.sold_quantity FROM silver.fact_sales_daily f
                       JOIN silver.dim_product p USING (product_key) WHERE f.date_key = 20111210 ORDER BY 1""")
        assert cur.fetchall() == [("23999", 9), ("85123A", 9)]
