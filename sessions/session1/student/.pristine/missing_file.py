"""Your fix for missing_file: fail fast, and say where and what to do.

Run: pytest --student sessions/session1 -k missing_file -s

check_source(path) takes a str or a pathlib.Path, relative (to the working
directory) or absolute. It returns the input as an absolute, resolved
pathlib.Path ("../data/x.csv" run in /srv/etl/job gives /srv/etl/data/x.csv: no
".." left in it). When the path does not name an existing FILE (nothing is
there, or a directory is), it raises
sessions.session1.reader.SourceFileMissing whose message names:

* the absolute, resolved path,
* the working directory (where a relative path was looked for),
* the next step: make a sample with: python -m failurelab.sampledata online_retail.csv
"""
from __future__ import annotations

import os
from pathlib import Path


def check_source(path: str | os.PathLike) -> Path:
    # TODO(missing_file): resolve the path to an absolute one; if it is not a
    # file (missing, or a directory), raise
    # sessions.session1.reader.SourceFileMissing naming the absolute path, the
    # working directory and the next step ("python -m failurelab.sampledata
    # online_retail.csv"); else return the absolute path as a pathlib.Path.
    raise NotImplementedError("TODO(missing_file): write check_source")
