"""Missing input file.

Scenario:
    The ingest job is started with a path that is not there: a typo, a file
    not downloaded yet, or a relative path run from another working directory.
Why:
    pandas opens the file only when it reads it and raises a bare
    FileNotFoundError that names the path as given. A relative path is
    resolved against the working directory, which the message does not show,
    so "it works on my machine" and fails in cron or CI.
Fix:
    Check the input before any work: resolve it to an absolute path and fail
    fast with one message that names the absolute path, the working directory
    and what to do next.
Hints:
    - A relative path means nothing without the folder it was resolved from:
      turn it into an absolute path with no '..' left (resolve it), and put
      both that path and the working directory into the message.
    - exists() is also true for a folder. Ask for the one thing the job can
      read: a regular file.
    - Raise the course's own SourceFileMissing (it is a FileNotFoundError too,
      so old callers still catch it), end the message with the next step (the
      command that makes a sample), and return a pathlib.Path.
"""
from pathlib import Path

import pandas as pd
import pytest

from failurelab.expect import must_raise
from sessions.session1 import reader

pytestmark = pytest.mark.failure_case("infrastructure", fix=reader.check_source)

NEXT_STEP = "python -m failurelab.sampledata"


@pytest.fixture
def job_dir(tmp_path, monkeypatch):
    """The job runs in <tmp>/job, the data is looked for beside it: ../data/online_retail.csv."""
    job = tmp_path.resolve() / "job"
    job.mkdir()
    monkeypatch.chdir(job)
    return job


def says_where_and_what_next(message: str, absolute: Path, cwd: Path) -> None:
    assert str(absolute) in message, (
        f"the message should name the absolute, resolved path {absolute} (no '..' left in it); yours says {message!r}")
    assert str(cwd) in message, f"the message should name the working directory {cwd}; yours says {message!r}"
    assert NEXT_STEP in message, (
        f"the message should say what to do next: make a sample with '{NEXT_STEP} online_retail.csv'; "
        f"yours says {message!r}")


def test_wrong_missing_file_gives_a_bare_errno_without_context(tmp_path, monkeypatch, failure):
    monkeypatch.chdir(tmp_path)  # the job runs somewhere else than where the data is
    with failure.expect(FileNotFoundError, match=r"^\[Errno 2\] No such file or directory: 'data/online_retail\.csv'$"):
        pd.read_csv("data/online_retail.csv")


def test_right_missing_file_fails_fast_naming_path_cwd_and_next_step(job_dir, solution):
    with must_raise(reader.SourceFileMissing, "a path that is not there must fail fast") as raised:
        solution.check_source("../data/online_retail.csv")
    says_where_and_what_next(str(raised.value), job_dir.parent / "data" / "online_retail.csv", job_dir)


def test_right_missing_file_accepts_an_existing_file_and_resolves_it(job_dir, sample_frame, solution):
    data = job_dir.parent / "online_retail.csv"
    sample_frame.head(5).to_csv(data, index=False)
    for given in ("../online_retail.csv", Path("../online_retail.csv"), str(data)):
        found = solution.check_source(given)
        assert isinstance(found, Path), (
            f"check_source({given!r}) should return a pathlib.Path, it returned {type(found).__name__} {found!r}")
        assert found == data, (
            f"check_source({given!r}) run in {job_dir} should return the absolute, resolved path {data}, "
            f"it returned {found}")


def test_right_missing_file_refuses_a_directory_with_the_same_name(job_dir, solution):
    folder = job_dir / "online_retail.csv"
    folder.mkdir()  # an unzip gone wrong: a folder where the file should be
    with must_raise(reader.SourceFileMissing, "a directory is not an input file: refuse it like a missing file") as raised:
        solution.check_source(Path("online_retail.csv"))
    says_where_and_what_next(str(raised.value), folder, job_dir)
