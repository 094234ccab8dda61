"""Missing environment variables.

Scenario:
    The job runs where its settings are not all set: a new machine, a cron job
    with an empty environment, a .env file that was never copied from
    .env.example, a variable renamed in one place only.
Why:
    The naive config reads each variable with a default, os.getenv("DB_NAME",
    "retail_db"), so nothing complains at start-up. The job reads and cleans the
    file, then fails late, at the first connection, with an error about a
    database that does not exist, far from the real cause: DB_NAME was never
    set. Fixing one variable and re-running meets the next missing one.
Fix:
    Validate the configuration at start-up, before any work: read the
    environment and the .env file, and raise one error that lists every missing
    variable and where to set them. No silent defaults for settings that differ
    per environment.
"""
import os

import psycopg2
import pytest
from psycopg2 import OperationalError  # psycopg2 attaches no SQLSTATE to a failed connect: pgcode is None

from sessions.session1 import config

pytestmark = pytest.mark.failure_case("configuration", fix=config.load_config)


def naive_connect():
    return psycopg2.connect(host=os.getenv("DB_HOST", "localhost"), port=os.getenv("DB_PORT", "5432"),
                            dbname=os.getenv("DB_NAME", "retail_db"), user=os.getenv("DB_USER", "postgres"),
                            password=os.getenv("DB_PASSWORD", "postgres"))


def test_wrong_missing_env_vars_a_silent_default_fails_late_and_elsewhere(db_env, monkeypatch, failure):
    monkeypatch.delenv("DB_NAME")  # forgotten in this environment; nothing says so at start-up
    with failure.expect(OperationalError, match=r'FATAL:  database "retail_db" does not exist'):
        naive_connect()


def test_right_missing_env_vars_one_error_lists_every_missing_variable(solution):
    with pytest.raises(config.ConfigError) as raised:
        solution.load_config({"DB_HOST": "127.0.0.1", "DB_USER": "retail", "DB_PORT": " "})
    assert str(raised.value).startswith("missing required settings: DB_PORT, DB_NAME, DB_PASSWORD; ")
    assert ".env" in str(raised.value)


def test_right_missing_env_vars_a_dotenv_file_is_honoured_and_the_environment_wins(db_env, tmp_path, monkeypatch,
                                                                                   solution):
    monkeypatch.delenv("DB_NAME")
    monkeypatch.delenv("DB_PASSWORD")
    env_file = tmp_path / ".env"
    env_file.write_text(f"DB_NAME={db_env['DB_NAME']}\nDB_PASSWORD={db_env['DB_PASSWORD']}\nDB_HOST=elsewhere\n")
    monkeypatch.chdir(tmp_path)
    settings = solution.load_config()
    assert (settings.dbname, settings.host) == (db_env["DB_NAME"], db_env["DB_HOST"])
    settings.connect().close()  # the settings really work
    assert db_env["DB_PASSWORD"] not in repr(settings)


def test_right_missing_env_vars_a_bad_port_is_refused_at_start_up(db_env, solution):
    with pytest.raises(config.ConfigError, match=r"^DB_PORT must be a TCP port number \(1-65535\), got '54x32'$"):
        solution.load_config({**db_env, "DB_PORT": "54x32"})
