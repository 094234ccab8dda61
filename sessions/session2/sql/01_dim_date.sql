-- The calendar from the first to the last day in bronze. A calendar day never
-- changes, so existing days are left alone (DO NOTHING) and new ones added.
INSERT INTO silver.dim_date (date_key, full_date, day, iso_week, month, quarter, year,
                             weekday, weekday_name, is_weekend)
SELECT to_char(d, 'YYYYMMDD')::integer, d, extract(day FROM d), extract(week FROM d), extract(month FROM d),
       extract(quarter FROM d), extract(year FROM d), extract(isodow FROM d), to_char(d, 'FMDay'),
       extract(isodow FROM d) >= 6
FROM (SELECT generate_series(min(invoice_date)::date, max(invoice_date)::date, interval '1 day')::date AS d
      FROM bronze.raw_transactions) AS calendar
WHERE d IS NOT NULL
ON CONFLICT (date_key) DO NOTHING;
