"""Attempts at missing_env_vars (spoilers): what students hand in, and the verdict due."""
import os
from collections import ChainMap
from pathlib import Path

from dotenv import dotenv_values, load_dotenv

from failurelab.attempts import right, wrong
from sessions.session1.config import CONNECT_TIMEOUT_S, REQUIRED, STATEMENT_TIMEOUT_MS, ConfigError, Settings

WHERE = "set them in the environment or in .env (see .env.example)"


def _values(env, dotenv):
    if env is not None:
        return dict(env)
    values = {k: v for k, v in dotenv_values(Path(dotenv)).items() if v is not None} if dotenv else {}
    return {**values, **os.environ}


def _settings(values, **extra):
    port = values["DB_PORT"].strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"DB_PORT must be a TCP port number (1-65535), got {port!r}")
    timeout = (values.get("DB_STATEMENT_TIMEOUT_MS") or "").strip() or str(STATEMENT_TIMEOUT_MS)
    if not timeout.isdigit():
        raise ConfigError(f"DB_STATEMENT_TIMEOUT_MS must be milliseconds (a whole number), got {timeout!r}")
    fields = dict(statement_timeout_ms=int(timeout))
    fields.update(extra)
    return Settings(values["DB_HOST"].strip(), int(port), values["DB_NAME"].strip(), values["DB_USER"].strip(),
                    values["DB_PASSWORD"], **fields)


def _check_all(values):
    missing = [name for name in REQUIRED if not (values.get(name) or "").strip()]
    if missing:
        raise ConfigError(f"missing required settings: {', '.join(missing)}; {WHERE}")


@wrong("keeps the 'harmless' defaults localhost and postgres for DB_HOST and DB_USER: the very silent default "
       "the case warns about", caught_by="no_silent_default")
class SilentDefaultsForHostAndUser:
    def load_config(env=None, dotenv=".env"):
        values = _values(env, dotenv)
        values.setdefault("DB_HOST", "localhost")
        values.setdefault("DB_USER", "postgres")
        _check_all(values)
        return _settings(values)


@wrong("ignores DB_STATEMENT_TIMEOUT_MS: every job runs with the built-in statement timeout",
       caught_by="including_the_timeouts")
class IgnoresTheStatementTimeout:
    def load_config(env=None, dotenv=".env"):
        values = _values(env, dotenv)
        _check_all(values)
        port = values["DB_PORT"].strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"DB_PORT must be a TCP port number (1-65535), got {port!r}")
        return Settings(values["DB_HOST"].strip(), int(port), values["DB_NAME"].strip(), values["DB_USER"].strip(),
                        values["DB_PASSWORD"])


@wrong("lets .env override the environment: a stale file beats what the deployment set",
       caught_by="environment_wins")
class DotenvOverridesTheEnvironment:
    def load_config(env=None, dotenv=".env"):
        if env is None:
            file = {k: v for k, v in dotenv_values(Path(dotenv)).items() if v is not None} if dotenv else {}
            values = {**os.environ, **file}
        else:
            values = dict(env)
        _check_all(values)
        return _settings(values)


@wrong("tests 'name in values': a variable set to an empty string or blanks counts as set",
       caught_by="lists_every_missing")
class BlankCountsAsSet:
    def load_config(env=None, dotenv=".env"):
        values = _values(env, dotenv)
        missing = [name for name in REQUIRED if name not in values]
        if missing:
            raise ConfigError(f"missing required settings: {', '.join(missing)}; {WHERE}")
        return _settings(values)


@wrong("raises at the first missing variable: fix it, re-run, meet the next one",
       caught_by="lists_every_missing")
class StopsAtTheFirstMissing:
    def load_config(env=None, dotenv=".env"):
        values = _values(env, dotenv)
        for name in REQUIRED:
            if not (values.get(name) or "").strip():
                raise ConfigError(f"missing required settings: {name}; {WHERE}")
        return _settings(values)


@wrong("load_dotenv() writes .env into os.environ: a later call with another file still sees the old values",
       caught_by="leaves_os_environ_unchanged")
class LoadDotenvIntoTheEnvironment:
    def load_config(env=None, dotenv=".env"):
        if env is None:
            if dotenv:
                load_dotenv(dotenv, override=False)  # the environment still wins, but now it is polluted
            values = dict(os.environ)
        else:
            values = dict(env)
        _check_all(values)
        return _settings(values)


@wrong("merges os.environ into the mapping it is given: a caller's settings are silently completed from the "
       "process", caught_by="given_mapping_is_all")
class CompletesAGivenMappingFromTheEnvironment:
    def load_config(env=None, dotenv=".env"):
        file = {k: v for k, v in dotenv_values(Path(dotenv)).items() if v is not None} if dotenv else {}
        values = {**file, **os.environ, **(env or {})}
        _check_all(values)
        return _settings(values)


@wrong("always reads ./.env: the dotenv argument (another file, or None for none) is ignored",
       caught_by="dotenv_argument")
class IgnoresTheDotenvArgument:
    def load_config(env=None, dotenv=".env"):
        values = _values(env, ".env")
        _check_all(values)
        return _settings(values)


@wrong("passes dotenv=None on to dotenv_values(None), which then searches for a .env (find_dotenv) and reads it",
       caught_by="dotenv_none_searches_for_no_file")
class DotenvNoneStillSearches:
    def load_config(env=None, dotenv=".env"):
        if env is not None:
            values = dict(env)
        else:
            found = dotenv_values(dotenv)  # None: "the default" -- which searches up the folders for a .env
            values = {**{k: v for k, v in found.items() if v is not None}, **os.environ}
        _check_all(values)
        return _settings(values)


@wrong("int(DB_PORT) without a range check: port 0 or 65536 passes and fails later at connect",
       caught_by="bad_port")
class PortNotRangeChecked:
    def load_config(env=None, dotenv=".env"):
        values = _values(env, dotenv)
        _check_all(values)
        try:
            port = int(values["DB_PORT"])
        except ValueError:
            raise ConfigError(f"DB_PORT must be a TCP port number (1-65535), got {values['DB_PORT']!r}") from None
        timeout = (values.get("DB_STATEMENT_TIMEOUT_MS") or "").strip() or str(STATEMENT_TIMEOUT_MS)
        return Settings(values["DB_HOST"].strip(), port, values["DB_NAME"].strip(), values["DB_USER"].strip(),
                        values["DB_PASSWORD"], statement_timeout_ms=int(timeout))


@wrong("strips every value, the password too: a password with a space at the end no longer logs in",
       caught_by="including_the_timeouts")
class StripsThePassword:
    def load_config(env=None, dotenv=".env"):
        values = {k: (v or "").strip() for k, v in _values(env, dotenv).items()}
        _check_all(values)
        return _settings(values)


@wrong("splits .env lines on '=' by hand: quotes and trailing comments end up in the values",
       caught_by="environment_wins")
class ParsesDotenvByHand:
    def load_config(env=None, dotenv=".env"):
        if env is None:
            values = {}
            if dotenv and Path(dotenv).is_file():
                for line in Path(dotenv).read_text().splitlines():
                    if "=" in line and not line.lstrip().startswith("#"):
                        key, value = line.split("=", 1)
                        values[key.strip()] = value.strip()
            values.update(os.environ)
        else:
            values = dict(env)
        _check_all(values)
        return _settings(values)


@right("ChainMap(os.environ, .env), try/int for the numbers, own wording around the stated message parts")
class ChainMapAndTryInt:
    def load_config(env=None, dotenv=".env"):
        if env is None:
            from_file = dotenv_values(dotenv) if dotenv and os.path.exists(dotenv) else {}
            values = ChainMap(dict(os.environ), {k: v for k, v in from_file.items() if v is not None})
        else:
            values = ChainMap(dict(env))

        def value(name):
            text = values.get(name)
            return None if text is None or not text.strip() else text

        missing = [name for name in REQUIRED if value(name) is None]
        if missing:
            raise ConfigError("missing required settings: " + ", ".join(missing)
                              + "; export them in the environment or put them into .env (template: .env.example)")
        try:
            port = int(value("DB_PORT"))
            if port < 1 or port > 65535 or not value("DB_PORT").strip().isdigit():
                raise ValueError
        except ValueError:
            given = value("DB_PORT").strip()
            raise ConfigError(f"DB_PORT must be a TCP port number (1-65535), got {given!r}") from None
        raw_timeout = value("DB_STATEMENT_TIMEOUT_MS")
        timeout = STATEMENT_TIMEOUT_MS
        if raw_timeout is not None:
            if not raw_timeout.strip().isdigit():
                raise ConfigError(f"DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds, "
                                  f"got {raw_timeout.strip()!r}")
            timeout = int(raw_timeout)
        return Settings(host=value("DB_HOST").strip(), port=port, dbname=value("DB_NAME").strip(),
                        user=value("DB_USER").strip(), password=value("DB_PASSWORD"),
                        connect_timeout=CONNECT_TIMEOUT_S, statement_timeout_ms=timeout)
