"""Missing environment variables.

Scenario:
    The job runs where its settings are not all set: a new machine, a cron job
    with an empty environment, a .env file that was never copied from
    .env.example, a variable renamed in one place only.
Why:
    The naive config reads each variable with a default, os.getenv("DB_NAME",
    "retail_dev"), the name on the laptop where the job was written, so nothing
    complains at start-up. The job reads and cleans the file, then fails late,
    at the first connection, with an error about a database that does not exist,
    far from the real cause: DB_NAME was never set (or, where a database of that
    name exists, it quietly loads into the wrong one). Fixing one variable and re-running meets the next missing one.
Fix:
    Validate the configuration at start-up, before any work: read the
    environment and the .env file, and raise one error that lists every missing
    variable and where to set them. No silent defaults for settings that differ
    per environment.
Hints:
    - Collect first, raise once: a list of problems becomes one message.
    - "Set" and "set to something" differ: an empty string or a few blanks is
      as good as absent.
    - When two dicts are merged, the later one wins; and a mapping the caller
      passes in is the whole truth, nothing else is read.
"""
import os
import re

import dotenv
import dotenv.main
import psycopg2
import pytest
from psycopg2 import OperationalError  # psycopg2 attaches no SQLSTATE to a failed connect: pgcode is None

from failurelab.expect import must_raise
from sessions.session1 import config

pytestmark = pytest.mark.failure_case("configuration", fix=config.load_config)


def naive_connect():
    return psycopg2.connect(host=os.getenv("DB_HOST", "localhost"), port=os.getenv("DB_PORT", "5432"),
                            dbname=os.getenv("DB_NAME", "retail_dev"), user=os.getenv("DB_USER", "postgres"),
                            password=os.getenv("DB_PASSWORD", "postgres"))


def test_wrong_missing_env_vars_a_silent_default_fails_late_and_elsewhere(db_env, monkeypatch, failure):
    monkeypatch.delenv("DB_NAME")  # forgotten in this environment; nothing says so at start-up
    with failure.expect(OperationalError, match=r'FATAL:  database "retail_dev" does not exist'):
        naive_connect()


FULL = {"DB_HOST": "db.internal", "DB_PORT": "5432", "DB_NAME": "retail", "DB_USER": "etl", "DB_PASSWORD": "s3cr3t!"}


def listed_as_missing(message: str) -> set[str]:
    """The names after 'missing required settings: ' (up to the ';')."""
    found = re.search(r"missing required settings: ([A-Z_, ]+)", message)
    return set(re.findall(r"DB_[A-Z_]+", found[1])) if found else set()


def expect_missing(solution, env, missing, *, why, **kwargs):
    with must_raise(config.ConfigError, f"{why}: one ConfigError naming every missing setting") as raised:
        solution.load_config(env, **kwargs)
    message = str(raised.value)
    assert listed_as_missing(message) == set(missing), (
        f"{why}: the message should say 'missing required settings: ' and list exactly "
        f"{', '.join(missing)}; yours says {message!r}")
    assert "environment" in message and ".env" in message, (
        f"{why}: the message should say where to set them (the environment or .env); yours says {message!r}")


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No DB_* variable in os.environ, and an empty working directory (no .env)."""
    for key in [k for k in os.environ if k.startswith("DB_")]:
        monkeypatch.delenv(key)
    work = tmp_path / "job"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_right_missing_env_vars_one_error_lists_every_missing_variable(solution):
    expect_missing(solution, {"DB_HOST": "127.0.0.1", "DB_USER": "retail", "DB_PORT": " "},
                   ["DB_PORT", "DB_NAME", "DB_PASSWORD"], why="three settings are missing (DB_PORT is only a blank)")
    expect_missing(solution, {}, config.REQUIRED, why="an empty environment (a cron job) lacks all five")
    expect_missing(solution, {**FULL, "DB_HOST": "", "DB_USER": "\t ", "DB_PASSWORD": ""},
                   ["DB_HOST", "DB_USER", "DB_PASSWORD"], why="empty and whitespace-only values are missing too")


def test_right_missing_env_vars_no_silent_default_for_any_setting(solution):
    for name in config.REQUIRED:
        without = {k: v for k, v in FULL.items() if k != name}
        expect_missing(solution, without, [name], why=f"{name} is not set (no default may stand in for it)")
        expect_missing(solution, {**FULL, name: "  "}, [name], why=f"{name} is set to blanks")


def test_right_missing_env_vars_a_given_mapping_is_all_that_is_read(clean_environment, monkeypatch, solution):
    for key, value in FULL.items():  # the process environment and a .env have every setting ...
        monkeypatch.setenv(key, value)
    (clean_environment / ".env").write_text("".join(f"{k}={v}\n" for k, v in FULL.items()))
    partial = {"DB_HOST": "10.1.2.3", "DB_PORT": "6543"}  # ... but the caller passes its own settings
    expect_missing(solution, partial, ["DB_NAME", "DB_USER", "DB_PASSWORD"],
                   why="load_config(env) must read only env, neither os.environ nor .env")


def test_right_missing_env_vars_a_dotenv_file_is_honoured_and_the_environment_wins(db_env, clean_environment,
                                                                                   monkeypatch, solution):
    for key in ("DB_HOST", "DB_PORT", "DB_USER"):
        monkeypatch.setenv(key, db_env[key])
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "4321")
    (clean_environment / ".env").write_text(
        "# settings of this machine: copied from .env.example\n"
        f"DB_NAME={db_env['DB_NAME']}\n"
        f"DB_PASSWORD=\"{db_env['DB_PASSWORD']}\"  # quoted, with a comment: both are .env syntax\n"
        "DB_HOST=elsewhere.invalid\n"  # the environment says otherwise: it wins
        "DB_STATEMENT_TIMEOUT_MS=99\n")
    settings = solution.load_config()
    got = (settings.host, settings.dbname, settings.statement_timeout_ms)
    assert got == (db_env["DB_HOST"], db_env["DB_NAME"], 4321), (
        f"DB_NAME comes from .env, DB_HOST and DB_STATEMENT_TIMEOUT_MS from the environment (it wins over .env): "
        f"expected (host, dbname, statement_timeout_ms) {(db_env['DB_HOST'], db_env['DB_NAME'], 4321)}, got {got}")
    assert settings.password == db_env["DB_PASSWORD"], (
        "DB_PASSWORD comes from .env, where it is written in quotes: read .env with dotenv.dotenv_values, "
        "which understands quotes and comments")
    conn = settings.connect()  # the settings really work: the server applies the statement timeout
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            shown = cur.fetchone()[0]
    finally:
        conn.close()
    assert shown == "4321ms", f"DB_STATEMENT_TIMEOUT_MS=4321 should reach the server, it runs with {shown!r}"
    assert db_env["DB_PASSWORD"] not in repr(settings), "return a Settings: its repr() leaves the password out"


def test_right_missing_env_vars_the_dotenv_argument_names_the_file(clean_environment, tmp_path, monkeypatch,
                                                                  solution):
    (clean_environment / ".env").write_text("DB_NAME=from_the_working_directory\n")
    chosen = tmp_path / "settings" / "prod.env"
    chosen.parent.mkdir()
    chosen.write_text("".join(f"{k}={v}\n" for k, v in {**FULL, "DB_NAME": "from_prod_env"}.items()))
    try:
        settings = solution.load_config(dotenv=chosen)
    except config.ConfigError as err:
        pytest.fail(f"load_config(dotenv={str(chosen)!r}) should read that file, which has every setting; "
                    f"yours raised ConfigError: {err}", pytrace=False)
    assert settings.dbname == "from_prod_env", (
        f"load_config(dotenv={str(chosen)!r}) should read that file, not ./.env; got DB_NAME {settings.dbname!r}")
    expect_missing(solution, None, config.REQUIRED, dotenv=None,
                   why="load_config(dotenv=None) reads no file at all (here ./.env has DB_NAME), and the "
                       "environment is empty")
    (clean_environment / ".env").write_text(f"DB_HOST={FULL['DB_HOST']}\nDB_PORT=5432\nDB_USER=\nDB_NAME\n")
    expect_missing(solution, None, ["DB_NAME", "DB_USER", "DB_PASSWORD"],
                   why=".env has DB_USER= (empty) and a line DB_NAME without a value: both are missing")
    (clean_environment / ".env").unlink()
    for key, value in FULL.items():
        monkeypatch.setenv(key, value)
    settings = solution.load_config()
    assert settings.dbname == FULL["DB_NAME"], (
        "with no .env file at all and every setting in the environment, load_config() should work; "
        f"got DB_NAME {settings.dbname!r}")


def test_right_missing_env_vars_dotenv_none_searches_for_no_file(clean_environment, tmp_path, monkeypatch,
                                                                solution):
    planted = tmp_path / "found_by_a_search" / ".env"  # a .env that a search (find_dotenv) would find
    planted.parent.mkdir()
    planted.write_text("".join(f"{k}={v}\n" for k, v in FULL.items()))
    searched = []

    def find_dotenv(*args, **kwargs):  # fault injection: a search for .env finds the planted file
        searched.append(args or kwargs or "()")
        return str(planted)

    monkeypatch.setattr(dotenv.main, "find_dotenv", find_dotenv)
    monkeypatch.setattr(dotenv, "find_dotenv", find_dotenv)
    why = "load_config(dotenv=None) reads no file and searches for none, and the environment is empty"
    try:
        settings = solution.load_config(dotenv=None)
    except config.ConfigError:
        pass
    else:
        pytest.fail(f"{why}: it should raise ConfigError naming all five settings; yours returned settings (DB_NAME "
                    f"{settings.dbname!r}) read from a .env it found by searching "
                    f"{'(find_dotenv() was called)' if searched else ''}. dotenv_values(None) searches for a .env: "
                    "when dotenv is None do not call it at all", pytrace=False)
    expect_missing(solution, None, config.REQUIRED, dotenv=None, why=why)


def test_right_missing_env_vars_leaves_os_environ_unchanged(clean_environment, monkeypatch, solution):
    for key in ("DB_HOST", "DB_PORT"):
        monkeypatch.setenv(key, FULL[key])
    (clean_environment / ".env").write_text("".join(f"{k}={v}\n" for k, v in FULL.items() if k not in os.environ))
    before = dict(os.environ)
    solution.load_config()
    added = sorted(set(os.environ) - set(before))
    changed = sorted(k for k in before if os.environ.get(k) != before[k])
    assert not added and not changed, (
        f"load_config() changed the process environment (added {added}, changed {changed}): read .env with "
        "dotenv.dotenv_values and merge in a dict; load_dotenv() writes into os.environ, where a later call "
        "with another .env would still see these values")


def test_right_missing_env_vars_a_bad_port_is_refused_at_start_up(solution):
    for port in ("54x32", "0", "65536", "-5432", "5432.0", "port"):
        with must_raise(config.ConfigError, f"DB_PORT={port!r} is not a TCP port number (1-65535)") as raised:
            solution.load_config({**FULL, "DB_PORT": port})
        message = str(raised.value)
        assert "DB_PORT" in message and port in message, (
            f"the error for DB_PORT={port!r} should name DB_PORT and the value given; yours says {message!r}")
    for port, number in ((" 5433 ", 5433), ("1", 1), ("65535", 65535)):
        got = solution.load_config({**FULL, "DB_PORT": port}).port
        assert got == number and isinstance(got, int), (
            f"DB_PORT={port!r} is a good port: Settings.port should be the int {number}, got {got!r}")


def test_right_missing_env_vars_returns_every_setting_including_the_timeouts(solution):
    settings = solution.load_config({**FULL, "DB_PASSWORD": " pass phrase ", "DB_STATEMENT_TIMEOUT_MS": "4321"})
    assert isinstance(settings, config.Settings), f"load_config should return a config.Settings, got {settings!r}"
    got = (settings.host, settings.port, settings.dbname, settings.user)
    assert got == ("db.internal", 5432, "retail", "etl"), (
        f"expected (host, port, dbname, user) ('db.internal', 5432, 'retail', 'etl'), got {got}")
    assert settings.password == " pass phrase ", (
        f"the password is used exactly as given (spaces may be part of it); got {len(settings.password)} "
        "characters instead of 13")
    assert settings.statement_timeout_ms == 4321, (
        f"DB_STATEMENT_TIMEOUT_MS=4321 should give statement_timeout_ms 4321, got {settings.statement_timeout_ms!r}")
    assert settings.connect_timeout == config.CONNECT_TIMEOUT_S, (
        f"connect_timeout should stay config.CONNECT_TIMEOUT_S ({config.CONNECT_TIMEOUT_S} s), "
        f"got {settings.connect_timeout!r}")
    for unset in ({}, {"DB_STATEMENT_TIMEOUT_MS": ""}, {"DB_STATEMENT_TIMEOUT_MS": "  "}):
        got = solution.load_config({**FULL, **unset}).statement_timeout_ms
        assert got == config.STATEMENT_TIMEOUT_MS, (
            f"with DB_STATEMENT_TIMEOUT_MS {'blank' if unset else 'not set'}, statement_timeout_ms should be the "
            f"default config.STATEMENT_TIMEOUT_MS ({config.STATEMENT_TIMEOUT_MS}), got {got!r}")
    for bad in ("5s", "1.5", "-100", "soon"):
        with must_raise(config.ConfigError, f"DB_STATEMENT_TIMEOUT_MS={bad!r} is not a whole number of "
                                            "milliseconds") as raised:
            solution.load_config({**FULL, "DB_STATEMENT_TIMEOUT_MS": bad})
        message = str(raised.value)
        assert "DB_STATEMENT_TIMEOUT_MS" in message and bad in message, (
            f"the error for DB_STATEMENT_TIMEOUT_MS={bad!r} should name the variable and the value given; "
            f"yours says {message!r}")
