"""Your fix for stale_checkpoint: verify a checkpoint before trusting it.

Run: pytest --student sessions/session3 -k stale_checkpoint -s
"""
from __future__ import annotations

from sessions.session3.batches import Batch


def is_done(status: dict[str, tuple], batch: Batch) -> bool:
    # TODO(stale_checkpoint): status[batch.batch_id] (from sessions.session3.batches.checkpoint_status)
    # is (sha256, loaded, rejected, dead, actual_loaded, actual_rejected, actual_dead): what the
    # checkpoint says, then what the tables hold. Return True only if it exists, sha256 ==
    # batch.sha256 and each of the three counts EQUALS the actual one (more rows than recorded is
    # stale too). When the counts differ, log one WARNING on the logger "session3.batches" starting
    # "stale checkpoint: it says <loaded>/<rejected>/<dead> rows loaded/rejected/dead-lettered, the
    # tables hold <actual_loaded>/<actual_rejected>/<actual_dead>" and return False.
    raise NotImplementedError("TODO(stale_checkpoint): write is_done")
