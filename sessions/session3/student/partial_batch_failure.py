"""Your fix for partial_batch_failure: a batch commits whole or not at all.

Run: pytest --student sessions/session3 -k partial_batch_failure -s
"""
from __future__ import annotations

from sessions.session3.batches import Batch, BatchResult


def load_batch(conn, batch: Batch) -> BatchResult:
    # TODO(partial_batch_failure): one transaction for the whole batch. Inside
    # sessions.session3.db.caller_commits(conn) (so session 1's own commit waits for yours),
    # ingest with sessions.session1.ingest.ingest_frame(conn, batch.frame, batch.batch_id),
    # write the checkpoint row (pipeline.checkpoints: batch_id, batch.sha256, rows in, loaded,
    # rejected, 0 dead-lettered), leave the block, then conn.commit() once. On ANY exception:
    # conn.rollback() (unless conn.closed) and re-raise. Return a sessions.session3.batches.BatchResult.
    raise NotImplementedError("TODO(partial_batch_failure): write load_batch")
