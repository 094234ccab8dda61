"""The command line: a summary per file, exit 0; otherwise one line saying why, exit 1."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessions.session1 import ingest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env here: only the test's DB_* variables count
    return tmp_path


def test_a_file_loads_and_the_summary_reconciles(db_env, elsewhere, sample_csv, capsys):
    assert ingest.main([str(sample_csv)]) == 0
    summary, log = capsys.readouterr().out.strip().split("\n")
    assert summary.startswith("online_retail.csv (online_retail header): read 2,000, loaded 1,996 (cancellations ")
    assert "rejected 4 (price_out_of_range 4) in " in summary and summary.endswith(" s")
    assert log.startswith("log #1 loaded online_retail.csv (online_retail): read 2,000, loaded 1,996, rejected 4; ")
    assert log.endswith(f"; {sample_csv}")


def test_a_missing_file_fails_before_connecting_with_one_line(db_env, elsewhere, sample_csv, capsys, monkeypatch):
    monkeypatch.setenv("DB_PORT", "1")  # would fail to connect: the file check must come first
    assert ingest.main([str(sample_csv), "nope.csv"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: SourceFileMissing: input file {elsewhere / 'nope.csv'} does not exist")


def test_missing_settings_are_all_named(db_env, elsewhere, sample_csv, capsys, monkeypatch):
    for name in ("DB_NAME", "DB_USER"):
        monkeypatch.delenv(name)
    assert ingest.main([str(sample_csv)]) == 1
    assert capsys.readouterr().err.startswith("error: ConfigError: missing required settings: DB_NAME, DB_USER; ")


def test_a_wrong_password_is_reported_without_it(db_env, elsewhere, sample_csv, capsys, monkeypatch):
    monkeypatch.setenv("DB_PASSWORD", "hunter2-wrong")
    assert ingest.main([str(sample_csv)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: DatabaseAuthFailed: PostgreSQL at ") and "hunter2" not in err


def test_an_unsupported_file_is_refused_before_connecting(db_env, elsewhere, capsys, monkeypatch):
    monkeypatch.setenv("DB_PORT", "1")  # would fail to connect: the file check must come first
    (elsewhere / "retail.json").write_text("{}")
    assert ingest.main(["retail.json"]) == 1
    assert "unsupported file type '.json'; expected .xlsx, .csv" in capsys.readouterr().err


def test_the_module_runs_as_a_command_and_reports_progress_on_large_inputs(db_env, tmp_path):
    from failurelab import sampledata
    big = sampledata.write_csv(sampledata.generate(ingest.LARGE), tmp_path / "big.csv")
    env = {**os.environ, **db_env, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "sessions.session1.ingest", str(big)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("big.csv (online_retail header): read 100,000, loaded ")
    assert "loading 100%" in run.stderr and "read 100,000 rows from big.csv" in run.stderr
