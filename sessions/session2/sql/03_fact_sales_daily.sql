-- The fact, rebuilt for the days in scope (all days unless transform.run got days=).
-- Delete + insert in one transaction: a re-run gives the same rows, and a
-- failure leaves the previous fact as it was.
SET LOCAL work_mem = '256MB';  -- aggregate half a million rows in memory, not in temp files

-- Bulk load (PostgreSQL docs, "Populating a Database"): checking two foreign keys
-- row by row costs more than the load itself, so they are dropped here and added
-- back (validated in one pass) at the end of this same transaction: no other
-- session ever sees the fact without them, and an orphan still fails the file.
ALTER TABLE silver.fact_sales_daily DROP CONSTRAINT fact_sales_daily_date_key_fkey,
                                    DROP CONSTRAINT fact_sales_daily_product_key_fkey;

DO $$
BEGIN
    IF silver.days_in_scope() IS NULL THEN
        TRUNCATE silver.fact_sales_daily;  -- all days: cheaper than deleting row by row
    ELSE
        DELETE FROM silver.fact_sales_daily
        WHERE date_key IN (SELECT to_char(d, 'YYYYMMDD')::integer FROM unnest(silver.days_in_scope()) AS d);
    END IF;
END
$$;

-- Join-based insert: keys come from the dimensions (inner joins), never computed
-- here, so a row can only reference what exists. Rows the joins would lose are
-- caught by the reconciliation (transform.reconcile) that runs after this file.
INSERT INTO silver.fact_sales_daily
SELECT d.date_key, p.product_key,
       coalesce(sum(b.quantity) FILTER (WHERE sale), 0),
       coalesce(sum(b.quantity * b.unit_price) FILTER (WHERE sale), 0),
       count(DISTINCT b.invoice_no) FILTER (WHERE sale),
       coalesce(sum(b.quantity) FILTER (WHERE b.is_cancellation), 0),
       coalesce(sum(b.quantity * b.unit_price) FILTER (WHERE b.is_cancellation), 0),
       count(DISTINCT b.invoice_no) FILTER (WHERE b.is_cancellation),
       coalesce(sum(b.quantity) FILTER (WHERE adjustment), 0),
       coalesce(sum(b.quantity * b.unit_price) FILTER (WHERE adjustment), 0),
       count(*)
FROM (SELECT *, NOT is_cancellation AND quantity > 0 AS sale, NOT is_cancellation AND quantity <= 0 AS adjustment
      FROM bronze.raw_transactions) AS b
JOIN silver.dim_date d ON d.full_date = b.invoice_date::date
JOIN silver.dim_product p ON p.stock_code = upper(btrim(b.stock_code))
WHERE p.is_product
  AND ((SELECT silver.days_in_scope()) IS NULL OR b.invoice_date::date IN (SELECT unnest(silver.days_in_scope())))
GROUP BY d.date_key, p.product_key;

ALTER TABLE silver.fact_sales_daily
    ADD CONSTRAINT fact_sales_daily_date_key_fkey FOREIGN KEY (date_key) REFERENCES silver.dim_date (date_key),
    ADD CONSTRAINT fact_sales_daily_product_key_fkey FOREIGN KEY (product_key) REFERENCES silver.dim_product (product_key);
