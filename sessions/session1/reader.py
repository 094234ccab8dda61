"""Session 1, step 1: find and open the input file."""
from __future__ import annotations

import os
from pathlib import Path


class IngestError(Exception):
    """A problem with the input that the person running the job must fix."""


class SourceFileMissing(IngestError, FileNotFoundError):
    """The input path does not name an existing file."""


def check_source(path: str | os.PathLike) -> Path:
    """Return the input as an absolute path, or fail before any work is done.

    A bare ``[Errno 2]`` names only the path as given; the reader of the log also
    needs where a relative path was resolved from and what to do next.
    """
    given = Path(path)
    resolved = given.expanduser().resolve()
    if not resolved.is_file():
        what = "is a directory, not a file" if resolved.is_dir() else "does not exist"
        raise SourceFileMissing(
            f"input file {resolved} {what} (given as '{given}', working directory {Path.cwd()}); "
            "check the path, or make a sample with: python -m failurelab.sampledata online_retail.csv")
    return resolved
