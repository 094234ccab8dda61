"""Configuration: the password stays out of every repr and error."""
import pytest

from sessions.session1 import config

ENV = {"DB_HOST": "db.internal", "DB_PORT": "5432", "DB_NAME": "retail", "DB_USER": "etl", "DB_PASSWORD": "s3cr3t!"}


def test_settings_never_show_the_password():
    settings = config.load_config(ENV)
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings)
    assert settings.where == "etl@db.internal:5432/retail"


def test_the_statement_timeout_can_be_chosen():
    assert config.load_config({**ENV, "DB_STATEMENT_TIMEOUT_MS": "1500"}).statement_timeout_ms == 1500
    assert config.load_config(ENV).statement_timeout_ms == config.STATEMENT_TIMEOUT_MS


def test_a_missing_dotenv_file_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    assert config.load_config().host == "db.internal"


def test_a_bad_statement_timeout_is_refused_at_start_up():
    with pytest.raises(config.ConfigError, match=r"^DB_STATEMENT_TIMEOUT_MS must be milliseconds"):
        config.load_config({**ENV, "DB_STATEMENT_TIMEOUT_MS": "5s"})
