"""The failure-case plugin's own behaviour."""
import psycopg2
import pytest

from failurelab.plugin import Failure, describe, redact, symbols


def test_symbols_fall_back_to_ascii_where_the_terminal_cannot_encode_emoji():
    assert symbols("utf-8")["error"] == "❌"
    assert symbols("ascii") == {"error": "[X]", "why": "[WHY]", "fix": "[FIX]", "right": "[OK]"}
    assert symbols("cp1252")["fix"] == "[FIX]" and symbols(None)["right"] == "[OK]"


def test_passwords_are_redacted_from_any_message():
    assert redact("dsn host=x password=s3cr3t user=lab") == "dsn host=x password=*** user=lab"
    assert redact("postgresql://lab:s3cr3t@127.0.0.1/db") == "postgresql://lab:***@127.0.0.1/db"


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
