"""Named points in the pipeline where a test can stop it, to kill it there for real.

``SESSION3_PAUSE_AT=batch:ingested:3`` makes the pipeline, the 3rd time it reaches
``batch:ingested``, print ``PAUSED batch:ingested 3`` on stdout and wait; the
crash test then kills it with SIGKILL, mid-transaction. Unset (always, outside
the crash test), a hook costs one dictionary look-up.

The points: ``batch:ingested``, ``batch:checkpointed``, ``batch:committed``
(batches.py), ``silver:before``, ``silver:built`` (silver.py), ``commit`` after
every real commit and ``silver:commit`` after each of session 2's commits.
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter

_seen: Counter = Counter()
phase = ""  # "silver" while session 2's transform runs: its commits are then also "silver:commit"


def committed() -> None:
    """Called after every real commit of a pipeline connection."""
    reached("commit")
    if phase:
        reached(f"{phase}:commit")


def reached(point: str) -> None:
    _seen[point] += 1
    wanted = os.environ.get("SESSION3_PAUSE_AT")
    if wanted and wanted == f"{point}:{_seen[point]}":
        print(f"PAUSED {point} {_seen[point]}", file=sys.stdout, flush=True)
        time.sleep(600)  # the test kills us here; never reached in a normal run
