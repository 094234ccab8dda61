-- Session 2: the silver star schema. Idempotent: every run may execute it again.
CREATE SCHEMA IF NOT EXISTS silver;

-- The calendar: one row per day from the first to the last day in bronze,
-- days without sales included (a report should show the empty Saturday).
CREATE TABLE IF NOT EXISTS silver.dim_date (
    date_key     integer  PRIMARY KEY,            -- yyyymmdd: readable, sorts like the date
    full_date    date     NOT NULL UNIQUE,
    day          smallint NOT NULL,
    iso_week     smallint NOT NULL,
    month        smallint NOT NULL,
    quarter      smallint NOT NULL,
    year         smallint NOT NULL,
    weekday      smallint NOT NULL,               -- ISO: 1 = Monday … 7 = Sunday
    weekday_name text     NOT NULL,
    is_weekend   boolean  NOT NULL
);

-- One row per product code, SCD type 1: the current description overwrites the
-- old one and the surrogate key never changes (policy: README.md, "dim_product").
CREATE TABLE IF NOT EXISTS silver.dim_product (
    product_key       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stock_code        text    NOT NULL UNIQUE,      -- normalised: upper(btrim(raw code))
    description       text    NOT NULL,             -- the winning description
    is_product        boolean NOT NULL,             -- false: postage, fees, manual lines …
    source_codes      text[]  NOT NULL,             -- raw spellings seen, e.g. {15056BL,15056bl}
    descriptions_seen integer NOT NULL,             -- real descriptions competing for the code
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Codes that are not products: postage, carriage, fees, manual lines, vouchers.
CREATE OR REPLACE FUNCTION silver.is_product_code(code text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT NOT (upper(code) IN ('POST', 'DOT', 'M', 'C2', 'D', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS')
                OR upper(code) LIKE 'GIFT\_%' OR upper(code) LIKE 'DCGS%')
$$;

-- A real description is written mostly in capitals like the catalogue; notes typed
-- by the warehouse ("?", "damaged", "wrongly marked carton 22804") are not. Mostly,
-- not only: real names carry units and colours in lower case ("BAG 125g SWIRLY MARBLES").
CREATE OR REPLACE FUNCTION silver.is_real_description(description text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT length(regexp_replace(description, '[^A-Z]', '', 'g'))
           > length(regexp_replace(description, '[^a-z]', '', 'g'))
$$;

-- The days a run refreshes: NULL means all of bronze (see transform.run(days=...)).
CREATE OR REPLACE FUNCTION silver.days_in_scope() RETURNS date[]
LANGUAGE sql STABLE AS $$
    SELECT string_to_array(nullif(current_setting('silver.days', true), ''), ',')::date[]
$$;

-- One row per day and product. Partitioned by month (date_key ranges): a
-- month is refreshed, archived or dropped as one table. The partitions are
-- created by transform.ensure_partitions before each load.
CREATE TABLE IF NOT EXISTS silver.fact_sales_daily (
    date_key           integer NOT NULL CONSTRAINT fact_sales_daily_date_key_fkey REFERENCES silver.dim_date,
    product_key        integer NOT NULL CONSTRAINT fact_sales_daily_product_key_fkey REFERENCES silver.dim_product,
    sold_quantity      bigint  NOT NULL,         -- sales: not cancelled, quantity > 0
    sold_revenue       numeric(16,3) NOT NULL,
    sale_invoices      integer NOT NULL,
    cancelled_quantity bigint  NOT NULL,         -- cancellations (C invoices), negative
    cancelled_revenue  numeric(16,3) NOT NULL,
    cancel_invoices    integer NOT NULL,
    adjusted_quantity  bigint  NOT NULL,         -- stock notes: quantity <= 0 without a C
    adjusted_revenue   numeric(16,3) NOT NULL,
    bronze_lines       integer NOT NULL,         -- bronze rows summed here (reconciliation)
    PRIMARY KEY (date_key, product_key)
) PARTITION BY RANGE (date_key);
