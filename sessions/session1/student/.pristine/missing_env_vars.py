"""Your fix for missing_env_vars: check every setting before doing any work.

Run: pytest --student sessions/session1 -k missing_env_vars -s

load_config(env=None, dotenv=".env") returns a sessions.session1.config.Settings
or raises sessions.session1.config.ConfigError:

* Where the settings come from. ``env`` given (a mapping): exactly that mapping,
  neither os.environ nor any .env file. ``env`` None: the file named by
  ``dotenv`` (a path; ".env" means the one in the working directory; None: no
  file at all, none searched for: dotenv_values(None) would search for a .env
  with find_dotenv(), so do not call it then; a file that is not there is
  fine), read with dotenv.dotenv_values (it understands quotes and comments),
  with os.environ overriding it (the environment wins). Do not change
  os.environ (load_dotenv() would).
* The five of REQUIRED (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD) have
  no defaults. One that is absent, empty, only blanks, or a .env line without
  a value, is missing. Collect EVERY missing one and raise ONE ConfigError:
  "missing required settings: DB_PORT, DB_NAME; set them in the environment or
  in .env (see .env.example)": the names, comma-separated, right after
  "missing required settings: ", then where to set them (the words
  "environment" and ".env").
* DB_PORT must be a whole number 1-65535 (blanks around it are fine), else
  ConfigError naming DB_PORT and the value given, e.g. "DB_PORT must be a TCP
  port number (1-65535), got '54x32'".
* DB_STATEMENT_TIMEOUT_MS is optional: a whole number of milliseconds; absent or
  blank means config.STATEMENT_TIMEOUT_MS; anything else (5s, 1.5, -100) is a
  ConfigError naming DB_STATEMENT_TIMEOUT_MS and the value given.
* Return Settings(host, port as an int, dbname, user, password exactly as
  given (not stripped: blanks may be part of a password),
  statement_timeout_ms=...). connect_timeout keeps its default,
  config.CONNECT_TIMEOUT_S. Settings keeps the password out of its repr().
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from sessions.session1.config import REQUIRED, STATEMENT_TIMEOUT_MS, ConfigError, Settings


def load_config(env: Mapping[str, str] | None = None, dotenv: str | os.PathLike | None = ".env") -> Settings:
    # TODO(missing_env_vars): with env None, read the `dotenv` file (if any) with
    # dotenv.dotenv_values and let os.environ override it; with env given, use
    # only env. Collect EVERY name of REQUIRED that is missing or blank and raise
    # one ConfigError("missing required settings: A, B; set them in the
    # environment or in .env ..."). Check DB_PORT is a port number (1-65535) and
    # DB_STATEMENT_TIMEOUT_MS (optional, default STATEMENT_TIMEOUT_MS) whole
    # milliseconds. Return Settings(host, port, dbname, user, password,
    # statement_timeout_ms=...).
    raise NotImplementedError("TODO(missing_env_vars): write load_config")
