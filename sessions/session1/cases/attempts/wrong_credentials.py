"""Attempts at wrong_credentials (spoilers): what students hand in, and the verdict due."""
import logging
import re

import psycopg2
from psycopg2.extensions import make_dsn

from failurelab.attempts import right, wrong
from sessions.session1.config import DatabaseAuthFailed, connection_params

log = logging.getLogger("sessions.session1.etl")


def _refused(settings):
    return DatabaseAuthFailed(
        f"PostgreSQL at {settings.host}:{settings.port} refused user '{settings.user}' (password authentication "
        f"failed) for database '{settings.dbname}'; check DB_USER and DB_PASSWORD in the environment or .env")


@wrong("turns EVERY OperationalError into 'wrong password': a closed port sends you to reset a password",
       caught_by="not_a_wrong_password")
class EveryErrorIsAWrongPassword:
    def connect(settings, **overrides):
        try:
            return psycopg2.connect(**{**connection_params(settings), **overrides})
        except psycopg2.OperationalError as err:
            raise _refused(settings) from err


@wrong("prints the connection parameters when the login fails: the password lands in the job's output",
       caught_by="helpful_error_without_the_password")
class PrintsTheParametersOnFailure:
    def connect(settings, **overrides):
        params = {**connection_params(settings), **overrides}
        try:
            return psycopg2.connect(**params)
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                print(f"login failed, connection parameters were: {params}")
                raise _refused(settings) from err
            raise


@wrong("logs the DSN at debug level on every connect: the password lands in the log files",
       caught_by="helpful_error_without_the_password")
class LogsTheDsn:
    def connect(settings, **overrides):
        params = {**connection_params(settings), **overrides}
        log.debug("connecting with %s", make_dsn(**{k: v for k, v in params.items() if k != "connection_factory"}))
        try:
            return psycopg2.connect(**params)
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise _refused(settings) from err
            raise


@wrong("builds a postgresql:// URL from the settings: an '@' in the password cuts it, libpq names the rest",
       caught_by="helpful_error_without_the_password")
class BuildsAUrl:
    def connect(settings, **overrides):
        url = (f"postgresql://{settings.user}:{settings.password}@{settings.host}:{settings.port}/{settings.dbname}"
               f"?connect_timeout={settings.connect_timeout}")
        try:
            return psycopg2.connect(url, options=f"-c statement_timeout={settings.statement_timeout_ms}",
                                    **overrides)
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise _refused(settings) from err
            raise


@wrong("a 'key=value' DSN string built with an f-string: a blank or quote in the password breaks it, and the "
       "driver's error quotes the rest", caught_by="helpful_error_without_the_password")
class DsnStringByHand:
    def connect(settings, **overrides):
        dsn = (f"host={settings.host} port={settings.port} dbname={settings.dbname} user={settings.user} "
               f"password={settings.password} connect_timeout={settings.connect_timeout} "
               f"options='-c statement_timeout={settings.statement_timeout_ms}'")
        try:
            return psycopg2.connect(dsn, **overrides)
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise _refused(settings) from err
            raise


@wrong("names the password it tried, 'to help': the secret is in the error, the logs and the ticket",
       caught_by="helpful_error_without_the_password")
class PasswordInTheMessage:
    def connect(settings, **overrides):
        try:
            return psycopg2.connect(**{**connection_params(settings), **overrides})
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise DatabaseAuthFailed(
                    f"PostgreSQL at {settings.host}:{settings.port} refused user '{settings.user}' (password "
                    f"authentication failed) for database '{settings.dbname}'; check DB_USER and DB_PASSWORD "
                    f"(tried {settings.password!r})") from err
            raise


@wrong("connects with host/port/dbname/user/password only: the connect and statement timeouts are dropped",
       caught_by="right_password_connects_with_both_timeouts")
class DropsTheTimeouts:
    def connect(settings, **overrides):
        try:
            return psycopg2.connect(host=settings.host, port=settings.port, dbname=settings.dbname,
                                    user=settings.user, password=settings.password, **overrides)
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise _refused(settings) from err
            raise


@wrong("tries the login three times before giving up: a wrong password stays wrong, and each try is a failed "
       "login in the server log",
       caught_by="tried_once")
class RetriesTheLogin:
    def connect(settings, **overrides):
        for attempt in range(3):
            try:
                return psycopg2.connect(**{**connection_params(settings), **overrides})
            except psycopg2.OperationalError as err:
                if "password authentication failed" not in str(err):
                    raise
                if attempt == 2:
                    raise _refused(settings) from err


@wrong("psycopg2.connect(**params, **overrides): an override of a key params has (connect_timeout) is a TypeError",
       caught_by="overrides_replace")
class OverridesCollide:
    def connect(settings, **overrides):
        try:
            return psycopg2.connect(**connection_params(settings), **overrides)
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise _refused(settings) from err
            raise


@wrong("raise ... from None: the driver's own words are gone from the traceback",
       caught_by="helpful_error_without_the_password")
class HidesTheDriverError:
    def connect(settings, **overrides):
        try:
            return psycopg2.connect(**{**connection_params(settings), **overrides})
        except psycopg2.OperationalError as err:
            if "password authentication failed" in str(err):
                raise _refused(settings) from None
            raise


@right("a DSN made with make_dsn (quotes the password), a regex on the driver's message, other wording")
class MakeDsnAndOwnWording:
    def connect(settings, **overrides):
        keywords = {**connection_params(settings), **overrides}
        factories = {k: keywords.pop(k) for k in ("connection_factory", "cursor_factory") if k in keywords}
        try:
            return psycopg2.connect(make_dsn(**keywords), **factories)
        except psycopg2.OperationalError as err:
            if not re.search(r"password authentication failed|no password supplied", str(err)):
                raise
            raise DatabaseAuthFailed(
                f"login refused (password authentication failed): user '{settings.user}', database "
                f"'{settings.dbname}' at {settings.host}:{settings.port}. Check DB_USER and DB_PASSWORD "
                "(environment variables or the .env file).") from err


@right("keyword arguments written out by hand (timeouts included), the error raised while handling the driver's")
class KeywordsByHand:
    def connect(settings, **overrides):
        keywords = dict(host=settings.host, port=settings.port, dbname=settings.dbname, user=settings.user,
                        password=settings.password, connect_timeout=settings.connect_timeout,
                        options=f"-c statement_timeout={settings.statement_timeout_ms}ms")
        keywords.update(overrides)
        try:
            return psycopg2.connect(**keywords)
        except psycopg2.OperationalError as err:
            if "password authentication failed" not in str(err):
                raise
            raise DatabaseAuthFailed(  # raised while handling err: the traceback shows both
                f"PostgreSQL at {settings.host}:{settings.port} refused user '{settings.user}' (password "
                f"authentication failed) for database '{settings.dbname}': check DB_USER and DB_PASSWORD")
