"""Your fix for stale_checkpoint: verify a checkpoint before trusting it.

Run: pytest --student sessions/session3 -k stale_checkpoint -s
"""
from __future__ import annotations

from sessions.session3.batches import Batch


def is_done(status: dict[str, tuple], batch: Batch) -> bool:
    # TODO(stale_checkpoint): status[batch.batch_id] (from sessions.session3.batches.checkpoint_status)
    # is (sha256, loaded, rejected, dead, actual_loaded, actual_rejected, actual_dead). Return True
    # only if it exists, sha256 == batch.sha256 and the three counts equal the actual ones. When
    # the counts differ, log a WARNING on "session3.batches" starting "stale checkpoint: it says
    # <l>/<r>/<d> rows loaded/rejected/dead-lettered, the tables hold <l>/<r>/<d>".
    raise NotImplementedError("TODO(stale_checkpoint): write is_done")
