"""Session 3: a checkpoint *file* that is written atomically and checked when read.

The pipeline keeps its checkpoints in the database, in the same transaction as
the batch's rows (see ``batches.py``): that is the better design. Many jobs keep
them in a file instead; then three rules apply:

1. never write the file in place: write a temporary file in the same folder,
   flush and fsync it, then ``os.replace`` it over the old one (atomic on POSIX),
   and fsync the folder so the rename itself survives a power cut;
2. store a checksum of the content, so a truncated or garbled file is detected;
3. a file that fails the check is not trusted: warn, and fall back to the
   database or redo the batches (safe, because the writes are idempotent).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger("session3.checkpoint")


def _digest(state: dict) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_checkpoint(path: Path, state: dict) -> None:
    """Replace the checkpoint at ``path`` with ``state``, all or nothing."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump({"sha256": _digest(state), "state": state}, out, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write (disk full ...) leaves the old file and no debris
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # and the rename itself is on disk
    finally:
        os.close(folder)


def read_checkpoint(path: Path) -> dict | None:
    """The state saved at ``path``; None (with a warning) when missing, unreadable or corrupt."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        state, digest = saved["state"], saved["sha256"]
    except (ValueError, KeyError, TypeError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning(f"checkpoint {path} is corrupt ({type(err).__name__}: {err}); ignoring it: the batches it "
                    "covered will be checked against the database and redone if needed")
        return None
    if _digest(state) != digest:
        log.warning(f"checkpoint {path} fails its checksum (content changed after it was written); ignoring it: "
                    "the batches it covered will be checked against the database and redone if needed")
        return None
    return state
