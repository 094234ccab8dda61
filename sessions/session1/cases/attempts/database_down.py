"""Attempts at database_down (spoilers): what students hand in, and the verdict due."""
import time
from time import sleep

import psycopg2
import tenacity

from failurelab.attempts import right, wrong
from sessions.session1.config import ConfigError, DatabaseAuthFailed, DatabaseUnavailable, connect, connection_params

PERMANENT = ("does not exist", "no pg_hba.conf entry")


def _unavailable(settings, attempts, err):
    cause = " ".join(str(err).split())
    return DatabaseUnavailable(
        f"cannot reach PostgreSQL at {settings.host}:{settings.port} after {attempts} attempts ({cause}); check the "
        f"server is running (pg_isready -h {settings.host} -p {settings.port}) and DB_HOST/DB_PORT")


def _permanent(settings, err):
    return ConfigError(f"PostgreSQL at {settings.host}:{settings.port} is up but refused the connection "
                       f"({' '.join(str(err).split())}); check DB_NAME and DB_USER")


class _Backoff:
    """A loop written the usual way; the wrong attempts below change one thing in it."""

    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        delay = first_delay
        for attempt in range(1, attempts + 1):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                if attempt == attempts:
                    raise _unavailable(settings, attempts, err) from err
            time.sleep(delay)
            delay *= 2


@wrong("waits first_delay every time: a constant delay hammers a server that needs longer to come back",
       caught_by="retries_with_backoff")
class ConstantDelay:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        for attempt in range(1, attempts + 1):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                if attempt == attempts:
                    raise _unavailable(settings, attempts, err) from err
            time.sleep(first_delay)


@wrong("sleeps after every failure, the last one too: 2 s (or 4 s) of waiting before saying what it knew",
       caught_by="retries_with_backoff")
class SleepsAfterTheLastAttempt:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        last = None
        for attempt in range(attempts):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                last = err
                time.sleep(first_delay * 2 ** attempt)
        raise _unavailable(settings, attempts, last) from last


@wrong("retries until the server answers: an outage becomes a job that hangs forever",
       caught_by="retries_with_backoff")
class RetriesForever:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        delay = first_delay
        while True:
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
            time.sleep(min(delay, 30))
            delay *= 2


@wrong("catches every Exception, DatabaseAuthFailed too: a wrong password is retried 4 times",
       caught_by="wrong_password")
class CatchesEveryException:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        last = None
        for attempt in range(attempts):
            try:
                return connect(settings)
            except Exception as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                last = err
                if attempt < attempts - 1:
                    time.sleep(first_delay * 2 ** attempt)
        raise _unavailable(settings, attempts, last) from last


@wrong("re-raises DatabaseAuthFailed but retries every other Exception: a bug is retried 4 times and reported as "
       "'cannot reach'", caught_by="retries_only_connection_errors")
class RetriesProgrammingErrors(_Backoff):
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        last = None
        for attempt in range(attempts):
            try:
                return connect(settings)
            except DatabaseAuthFailed:
                raise
            except Exception as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                last = err
                if attempt < attempts - 1:
                    time.sleep(first_delay * 2 ** attempt)
        raise _unavailable(settings, attempts, last) from last


@wrong("retries 'database does not exist' like a refused port: 3.5 s of waiting, then 'cannot reach' for a "
       "server that answered", caught_by="database_that_does_not_exist")
class RetriesAMissingDatabase:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        for attempt in range(1, attempts + 1):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if attempt == attempts:
                    raise _unavailable(settings, attempts, err) from err
            time.sleep(first_delay * 2 ** (attempt - 1))


@wrong("'cannot reach the database after 4 attempts': no host:port, no cause, nothing to check",
       caught_by="names_host_port")
class VagueMessage:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        for attempt in range(1, attempts + 1):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                if attempt == attempts:
                    raise DatabaseUnavailable(f"cannot reach the database after {attempts} attempts") from err
            time.sleep(first_delay * 2 ** (attempt - 1))


@wrong("puts the connection parameters into the message 'for debugging': the password with them",
       caught_by="names_host_port")
class ParametersInTheMessage:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        for attempt in range(1, attempts + 1):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):
                    raise _permanent(settings, err) from err
                if attempt == attempts:
                    params = connection_params(settings)
                    raise DatabaseUnavailable(
                        f"cannot reach PostgreSQL at {settings.host}:{settings.port} after {attempts} attempts "
                        f"({' '.join(str(err).split())}) with {params}; check pg_isready and DB_HOST/DB_PORT") from err
            time.sleep(first_delay * 2 ** (attempt - 1))


@wrong("always makes 4 attempts: the attempts argument is ignored", caught_by="attempts_and_first_delay")
class IgnoresTheAttemptsArgument:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        return _Backoff.connect_with_retry(settings, 4, first_delay)


@wrong("retries only when the message says 'Connection refused': a server still starting up fails the job at once",
       caught_by="comes_back")
class RetriesOnlyARefusedPort:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        for attempt in range(1, attempts + 1):
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if "Connection refused" not in str(err):
                    raise _permanent(settings, err) from err
                if attempt == attempts:
                    raise _unavailable(settings, attempts, err) from err
            time.sleep(first_delay * 2 ** (attempt - 1))


@right("tenacity: stop_after_attempt, wait_exponential(multiplier=first_delay), retry only OperationalError")
class WithTenacity:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")

        def once():
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                if any(answer in str(err) for answer in PERMANENT):  # a server that said no: not transient
                    raise _permanent(settings, err) from err
                raise

        retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(attempts),
                                     wait=tenacity.wait_exponential(multiplier=first_delay, min=0, max=3600),
                                     retry=tenacity.retry_if_exception_type(psycopg2.OperationalError),
                                     reraise=True)
        try:
            return retrying(once)
        except psycopg2.OperationalError as err:
            cause = " ".join(str(err).split())
            raise DatabaseUnavailable(
                f"gave up on PostgreSQL at {settings.host}:{settings.port} after {attempts} attempts: {cause}. "
                f"Is it running (pg_isready -h {settings.host} -p {settings.port})? Do DB_HOST and DB_PORT point "
                "at it?") from err


@right("a while loop with `from time import sleep` (really waits), a doubling delay, and its own wording")
class WhileLoopWithImportedSleep:
    def connect_with_retry(settings, attempts=4, first_delay=0.5):
        if attempts <= 0:
            raise ValueError("attempts must be positive")
        tried, delay = 0, first_delay
        while True:
            tried += 1
            try:
                return connect(settings)
            except psycopg2.OperationalError as err:
                text = str(err)
                if "does not exist" in text or "no pg_hba.conf entry" in text:
                    raise ConfigError(f"PostgreSQL at {settings.host}:{settings.port} answered and refused: "
                                      f"{text.strip()}; check DB_NAME and DB_USER") from err
                if tried >= attempts:
                    raise DatabaseUnavailable(
                        f"PostgreSQL at {settings.host}:{settings.port} is not reachable after {tried} attempts: "
                        f"{text.strip()} (try: pg_isready -h {settings.host} -p {settings.port}; check DB_HOST and "
                        "DB_PORT)") from err
            sleep(delay)
            delay *= 2
