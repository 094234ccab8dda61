-- Session 3: the pipeline's own bookkeeping, beside the data it describes.
CREATE SCHEMA IF NOT EXISTS pipeline;

-- One row per batch that is fully loaded, written in the SAME transaction as the
-- batch's rows: either both are there or neither is. The counts and the input's
-- fingerprint let a later run verify the checkpoint instead of trusting it.
CREATE TABLE IF NOT EXISTS pipeline.checkpoints (
    batch_id       text        PRIMARY KEY,  -- 'day:2010-12-01' (silver's state is in silver_state)
    source_sha256  text        NOT NULL,     -- the batch's input; a changed input is loaded again
    rows_in        integer     NOT NULL,
    loaded         integer     NOT NULL,
    rejected       integer     NOT NULL,
    dead_lettered  integer     NOT NULL,
    CHECK (rows_in = loaded + rejected + dead_lettered),  -- nothing lost, by construction
    done_at        timestamptz NOT NULL DEFAULT now()
);

-- Poison rows: rows that made the database refuse the whole batch. Kept with the
-- reason and the batch, so the batch proceeds and nobody loses the row.
CREATE TABLE IF NOT EXISTS pipeline.dead_letters (
    batch_id    text        NOT NULL,
    batch_line  integer     NOT NULL,  -- 1 = the batch's first row
    reason      text        NOT NULL,
    raw         jsonb       NOT NULL,  -- the row as read, every value as text
    failed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, batch_line)
);

-- The last silver build: which batch checkpoints it was built from. Written after
-- session 2's transform has finished; a run whose batches match it (and whose
-- fact table still has the rows) does not rebuild silver.
CREATE TABLE IF NOT EXISTS pipeline.silver_state (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    built_from  text        NOT NULL,  -- sha256 over every batch checkpoint's id and input fingerprint
    fact_rows   bigint      NOT NULL,
    built_at    timestamptz NOT NULL DEFAULT now()
);
