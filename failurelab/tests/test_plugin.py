"""The failure-case plugin's own behaviour."""
import re
from pathlib import Path

import psycopg2
import pytest

from failurelab.plugin import Failure, describe, redact, symbols

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "sessions" / "session1" / "cases" / "test_missing_file.py"
TESTS = re.findall(r"^def test_", EXAMPLE.read_text(), re.M)


def test_symbols_fall_back_to_ascii_where_the_terminal_cannot_encode_emoji():
    assert symbols("utf-8")["error"] == "❌"
    assert symbols("ascii") == {"error": "[X]", "why": "[WHY]", "fix": "[FIX]", "right": "[OK]"}
    assert symbols("cp1252")["fix"] == "[FIX]" and symbols(None)["right"] == "[OK]"


def test_passwords_are_redacted_from_any_message():
    assert redact("dsn host=x password=s3cr3t user=lab") == "dsn host=x password=*** user=lab"
    assert redact("postgresql://lab:s3cr3t@127.0.0.1/db") == "postgresql://lab:***@127.0.0.1/db"
    assert (redact('could not translate host name "Summer2026@127.0.0.1" to address')
            == 'could not translate host name "***@127.0.0.1" to address')
    # a password may itself hold "@": everything up to the last one goes
    assert redact("postgresql://lab:a@b@c@127.0.0.1/db") == "postgresql://lab:***@127.0.0.1/db"
    assert (redact('could not translate host name "b@c@127.0.0.1" to address')
            == 'could not translate host name "***@127.0.0.1" to address')
    assert redact('could not translate host name "db.example.org" to address') == (
        'could not translate host name "db.example.org" to address')


def test_expect_checks_the_sqlstate_and_records_the_error(conn):
    failure = Failure()
    with failure.expect(psycopg2.errors.UndefinedTable, pgcode="42P01", match=r'relation "nope" does not exist'):
        conn.cursor().execute("SELECT * FROM nope")
    assert describe(failure.seen[0]).startswith('psycopg2.errors.UndefinedTable [SQLSTATE 42P01]: relation "nope"')
    conn.rollback()
    with pytest.raises(AssertionError, match="expected SQLSTATE 42601, got 42P01"):
        with failure.expect(psycopg2.Error, pgcode="42601", match="nope"):
            conn.cursor().execute("SELECT * FROM nope")


def test_expect_fails_when_no_error_happens():
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        with Failure().expect(ValueError, match="x"):
            pass


@pytest.fixture
def run_case(pytester, monkeypatch):
    """Run the worked example case in a pytest of its own, as a student would."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    def run(*args):
        return pytester.runpytest_subprocess("-p", "no:randomly", "--rootdir", str(ROOT), *args, str(EXAMPLE))
    return run


def test_with_s_a_case_prints_its_block_in_ascii_where_the_terminal_is_ascii(run_case, monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    result = run_case("-s")
    result.assert_outcomes(passed=len(TESTS))
    result.stdout.fnmatch_lines(["*FAILURE CASE session1/missing_file [[]infrastructure]*",
                                 "[[]X] WHAT HAPPENED in test_wrong_missing_file_* (the real error)",
                                 "   FileNotFoundError: [[]Errno 2] No such file or directory: 'data/online_retail.csv'",
                                 "[[]OK] CORRECT APPROACH (sessions/session1/reader.py:* check_source)",
                                 "   def check_source(path: str | os.PathLike) -> Path:"])


def test_without_s_only_a_summary_line_is_printed(run_case):
    result = run_case()
    assert "FAILURE CASE" not in result.stdout.str()
    result.stdout.fnmatch_lines(["failure cases: 1/1 wrong paths raised their real error, 1/1 right paths held*"])
    # (student mode is tested on a course of its own in test_grading.py, and on a copy of this one in test_cli.py:
    # here it would grade, and record progress for, the working copy of a real student)


@pytest.mark.parametrize("order", [["--randomly-seed=1"], ["--randomly-seed=2", "-n", "2"]], ids=["random", "xdist"])
def test_the_explanation_prints_once_per_case_whatever_the_order(pytester, monkeypatch, order):
    """negative_prices' first wrong-hand test fails silently (no error to record): its block must still show, once."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    cases = [str(EXAMPLE), str(EXAMPLE.with_name("test_negative_prices.py"))]
    result = pytester.runpytest_subprocess("--rootdir", str(ROOT), "-s", "-p", "no:cacheprovider", *order, *cases)
    text = result.stdout.str()
    assert text.count("FAILURE CASE session1/missing_file") == 1, text
    assert text.count("FAILURE CASE session1/negative_prices") == 1, text
    assert text.count("WHAT HAPPENED in test_wrong_negative_prices") == 2  # each wrong-hand test says what it saw
