"""Your fix for checkpoint_corruption: write the checkpoint atomically, check it when reading.

Run: pytest --student sessions/session3 -k checkpoint_corruption -s
"""
from __future__ import annotations

from pathlib import Path


def write_checkpoint(path: Path, state: dict) -> None:
    # TODO(checkpoint_corruption): json-dump {"sha256": <digest of the state>, "state": state}
    # into a temporary file in the SAME folder as `path` (not /tmp: a rename is atomic only within
    # one file system), flush + os.fsync it, os.replace it over `path` (never open `path` itself
    # for writing), then fsync the folder (os.fsync of os.open(folder, os.O_RDONLY)). A crash at
    # any moment leaves the old file or the new one; if a step raises (disk full ...), delete the
    # temporary file and re-raise the error. (os.fdatasync may stand for os.fsync.)
    raise NotImplementedError("TODO(checkpoint_corruption): write write_checkpoint")


def read_checkpoint(path: Path) -> dict | None:
    # TODO(checkpoint_corruption): return None if the file is missing. Never trust nor crash on a
    # damaged file: on any error reading or parsing it (not UTF-8, not JSON, not the shape you
    # wrote, a missing key) or a checksum that does not match, log a WARNING on the logger
    # "session3.checkpoint" naming the file (say it "is corrupt" with the error's type, e.g.
    # JSONDecodeError, or that it "fails its checksum", and that the batches will be "redone if
    # needed") and return None; else return the state.
    raise NotImplementedError("TODO(checkpoint_corruption): write read_checkpoint")
