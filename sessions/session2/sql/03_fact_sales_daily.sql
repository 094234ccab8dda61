-- The fact, rebuilt for the days in scope (all days unless transform.run got days=).
-- Delete + insert in one transaction: a re-run gives the same rows, and a
-- failure leaves yesterday's fact as it was.
DELETE FROM silver.fact_sales_daily
WHERE (SELECT silver.days_in_scope()) IS NULL
   OR date_key IN (SELECT to_char(d, 'YYYYMMDD')::integer FROM unnest(silver.days_in_scope()) AS d);

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
