"""Your fix for missing_file: fail fast, and say where and what to do.

Run: pytest --student sessions/session1 -k missing_file -s
"""
from __future__ import annotations

import os
from pathlib import Path


def check_source(path: str | os.PathLike) -> Path:
    # TODO(missing_file): resolve the path; if it is not a file, raise
    # sessions.session1.reader.SourceFileMissing naming the absolute path, the
    # working directory and the next step; else return the absolute path.
    raise NotImplementedError("TODO(missing_file): write check_source")
