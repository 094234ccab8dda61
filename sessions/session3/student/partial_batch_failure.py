"""Your fix for partial_batch_failure: a batch commits whole or not at all.

Run: pytest --student sessions/session3 -k partial_batch_failure -s
"""
from __future__ import annotations

from sessions.session3.batches import Batch, BatchResult


def load_batch(conn, batch: Batch) -> BatchResult:
    # TODO(partial_batch_failure): one transaction for the whole batch. Inside
    # sessions.session3.db.caller_commits(conn) (so session 1's own commit waits for yours),
    # ingest with sessions.session1.ingest.ingest_frame(conn, batch.frame, batch.batch_id) (it
    # replaces the day's rows), upsert the checkpoint row (pipeline.checkpoints: batch_id,
    # batch.sha256, rows in, loaded, rejected, 0 dead-lettered; ON CONFLICT (batch_id) DO UPDATE:
    # a corrected day loaded again replaces its checkpoint too), leave the block, then
    # conn.commit() once. On ANY exception (not only database errors): conn.rollback() (unless
    # conn.closed: on a dropped connection rollback() raises InterfaceError) and re-raise the
    # original error unchanged. Rejected counts rows, not reasons. Always load, even if the day's
    # checkpoint has the same sha256 (skipping a done day is the pipeline's job).
    # Return a sessions.session3.batches.BatchResult.
    raise NotImplementedError("TODO(partial_batch_failure): write load_batch")
