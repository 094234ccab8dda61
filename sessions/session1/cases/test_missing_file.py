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
"""
import pandas as pd
import pytest

from sessions.session1 import reader

pytestmark = pytest.mark.failure_case("infrastructure", fix=reader.check_source)


def test_wrong_missing_file_gives_a_bare_errno_without_context(tmp_path, monkeypatch, failure):
    monkeypatch.chdir(tmp_path)  # the job runs somewhere else than where the data is
    with failure.expect(FileNotFoundError, match=r"^\[Errno 2\] No such file or directory: 'data/online_retail\.csv'$"):
        pd.read_csv("data/online_retail.csv")


def test_right_missing_file_fails_fast_naming_path_cwd_and_next_step(tmp_path, monkeypatch, solution):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(reader.SourceFileMissing) as raised:
        solution.check_source("data/online_retail.csv")
    message = str(raised.value)
    assert f"input file {tmp_path / 'data' / 'online_retail.csv'} does not exist" in message
    assert f"working directory {tmp_path}" in message
    assert "python -m failurelab.sampledata" in message
    assert isinstance(raised.value, FileNotFoundError)  # callers catching the builtin still work


def test_right_missing_file_accepts_an_existing_file_and_resolves_it(sample_csv, monkeypatch, solution):
    monkeypatch.chdir(sample_csv.parent)
    assert solution.check_source(sample_csv.name) == sample_csv.resolve()
