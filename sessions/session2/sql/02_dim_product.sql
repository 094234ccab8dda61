-- dim_product, SCD type 1. Policy (README.md, "dim_product"):
--  * the code is normalised: upper(btrim(code)), so 15056bl and 15056BL are one product;
--  * the description wins that is real (mostly capitals, not a note like "?" or "damaged"),
--    then most frequent, then most recently seen, then alphabetically first;
--  * a product with no real description is called UNKNOWN;
--  * codes that are not products (POST, M, BANK CHARGES …) are kept, flagged, with their own text.
WITH spelled AS (   -- the one scan of bronze; everything after works on a few thousand rows
    SELECT stock_code, description, count(*) AS n, max(invoice_date) AS last_seen
    FROM bronze.raw_transactions
    GROUP BY stock_code, description
), normalised AS (
    SELECT upper(btrim(stock_code)) AS code, stock_code AS raw_code, n, last_seen,
           nullif(regexp_replace(btrim(description), '\s+', ' ', 'g'), '') AS description
    FROM spelled
), candidates AS (
    SELECT code, description, sum(n) AS n, max(last_seen) AS last_seen,
           silver.is_real_description(description) AS real
    FROM normalised WHERE description IS NOT NULL
    GROUP BY code, description
), ranked AS (
    SELECT code, description, real,
           row_number() OVER (PARTITION BY code ORDER BY real DESC, n DESC, last_seen DESC, description) AS rank,
           count(*) FILTER (WHERE real) OVER (PARTITION BY code) AS real_descriptions
    FROM candidates
), codes AS (
    SELECT code, array_agg(DISTINCT raw_code ORDER BY raw_code) AS source_codes
    FROM normalised GROUP BY code
)
INSERT INTO silver.dim_product AS p (stock_code, description, is_product, source_codes, descriptions_seen)
SELECT c.code,
       -- a product with only notes ("damaged") gets no note as its name; a fee keeps its own text
       coalesce(CASE WHEN r.real OR NOT silver.is_product_code(c.code) THEN r.description END, 'UNKNOWN'),
       silver.is_product_code(c.code), c.source_codes,
       coalesce(r.real_descriptions, 0)
FROM codes c LEFT JOIN ranked r ON r.code = c.code AND r.rank = 1
ORDER BY c.code   -- new products get keys in code order, whatever the order of bronze
ON CONFLICT (stock_code) DO UPDATE
    SET description = EXCLUDED.description, is_product = EXCLUDED.is_product,
        source_codes = EXCLUDED.source_codes, descriptions_seen = EXCLUDED.descriptions_seen,
        updated_at = now()
    -- a re-run that changes nothing writes nothing (and keeps updated_at)
    WHERE (p.description, p.is_product, p.source_codes, p.descriptions_seen)
          IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.is_product, EXCLUDED.source_codes,
                            EXCLUDED.descriptions_seen);
