-- Session 1: the bronze layer. One row per line of a source file, as cleaned.
--
-- Why not invoice_no as the primary key? An invoice has many lines (the real
-- data averages 21), so that key rejects the second line of the first invoice.
-- Not (invoice_no, stock_code) either: the real export repeats lines exactly
-- (5,268 duplicates) and an invoice can list one product twice. A raw line is
-- identified by where it came from: the source file and its line number.
-- That key also makes a re-load of the same file replace, not duplicate, it.
CREATE SCHEMA IF NOT EXISTS bronze;

CREATE TABLE IF NOT EXISTS bronze.raw_transactions (
    source_file     text          NOT NULL,
    source_line     integer       NOT NULL CHECK (source_line > 0),  -- 1 = first data row
    invoice_no      text          NOT NULL,
    stock_code      text          NOT NULL,
    description     text,
    quantity        integer       NOT NULL,
    invoice_date    timestamp     NOT NULL,
    unit_price      numeric(12,3) NOT NULL,
    customer_id     integer,
    country         text          NOT NULL,
    is_cancellation boolean       NOT NULL,  -- invoice_no starts with 'C': a real business event, kept
    is_duplicate    boolean       NOT NULL DEFAULT false,  -- 2nd+ copy of an identical line in this file: kept, flagged
    ingested_at     timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (source_file, source_line)
);

-- Every row the cleaning step refused, with its reason: nothing is lost, and
-- rows read = rows loaded + rows rejected, per source file.
CREATE TABLE IF NOT EXISTS bronze.rejected_rows (
    source_file  text        NOT NULL,
    source_line  integer     NOT NULL,
    reason       text        NOT NULL,
    raw          jsonb       NOT NULL,  -- the row as read, every value as text
    rejected_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_file, source_line)
);

-- One row per load attempt of a file, and per source a load replaced on purpose
-- (--replace). The key above says WHERE a row came from; this says WHAT was
-- loaded (the content's sha256, its absolute path, its header dialect), so a
-- guard can recognise the same content under another name, or another file
-- under the same name. Refused and failed attempts are logged too.
CREATE TABLE IF NOT EXISTS bronze.load_log (
    load_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_file   text        NOT NULL,
    source_path   text,
    size_bytes    bigint,
    sha256        text,                       -- of the content as read (decompressed for .csv.xz/.gz/.bz2)
    dialect       text,                       -- online_retail, online_retail_ii
    rows_read     integer,
    rows_loaded   integer,
    rows_rejected integer,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    outcome       text        NOT NULL CHECK (outcome IN ('loaded', 'refused', 'failed', 'rolled_back', 'replaced')),
    detail        text                        -- why refused or failed; what was replaced
);
