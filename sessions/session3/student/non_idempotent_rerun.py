"""Your fix for non_idempotent_rerun: a batch written twice leaves the same rows as once.

Run: pytest --student sessions/session3 -k non_idempotent_rerun -s
"""
from __future__ import annotations

from sessions.session3.batches import Batch, BatchResult


def load_batch(conn, batch: Batch) -> BatchResult:
    # TODO(non_idempotent_rerun): inside sessions.session3.db.caller_commits(conn), ingest the
    # batch with sessions.session1.ingest.ingest_frame(conn, batch.frame, batch.batch_id) (it
    # REPLACES that source's rows), upsert its row in pipeline.checkpoints (batch_id, batch.sha256,
    # rows in, loaded, rejected, dead_lettered=0; ON CONFLICT (batch_id) DO UPDATE, so a re-load of
    # a changed day records the new input), then commit once, after the block. On any exception:
    # conn.rollback() (unless conn.closed) and re-raise it. Always load, even when the day's
    # checkpoint has the same sha256: deciding to skip a day that is done is the pipeline's job.
    # Return a sessions.session3.batches.BatchResult.
    raise NotImplementedError("TODO(non_idempotent_rerun): write load_batch")
