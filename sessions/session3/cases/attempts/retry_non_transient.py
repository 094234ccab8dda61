"""Attempts at retry_non_transient (spoilers): what students hand in, and the verdict due."""
import re

import psycopg2
import psycopg2.errors as pgerr

from failurelab.attempts import right, wrong

PERMANENT_CONNECT = ("password authentication failed", "no password supplied", "does not exist",
                     "no pg_hba.conf entry", "permission denied")


def _connection_failure(exc):
    """The shared tail: no SQLSTATE."""
    if isinstance(exc, psycopg2.OperationalError):
        return not any(m in str(exc) for m in PERMANENT_CONNECT)
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


@right("by exception class (psycopg2.errors), class 08 by prefix, the message by a regex")
class ByExceptionClass:
    def is_transient(exc: BaseException) -> bool:
        if isinstance(exc, (pgerr.SerializationFailure, pgerr.DeadlockDetected, pgerr.AdminShutdown,
                            pgerr.CrashShutdown, pgerr.CannotConnectNow, pgerr.TooManyConnections)):
            return True
        code = getattr(exc, "pgcode", None)
        if code:
            return code[:2] == "08"
        if isinstance(exc, psycopg2.OperationalError):
            return re.search(r"password authentication failed|does not exist|no pg_hba\.conf|no password"
                             r"|permission denied", str(exc), re.I) is None
        return isinstance(exc, (psycopg2.InterfaceError, ConnectionError, TimeoutError))


@right("one regular expression over the SQLSTATE")
class SqlstateRegex:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return re.fullmatch(r"40001|40P01|57P0[123]|53300|08...", code) is not None
        return _connection_failure(exc)


@wrong("knows only 40001: deadlocks, restarts, too many connections and class 08 are never retried",
       caught_by="transient_sqlstates")
class KnowsOnly40001:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code == "40001"
        return _connection_failure(exc)


@wrong("lists four 08 codes instead of the whole class 08: 08004, 08P01 are not retried",
       caught_by="transient_sqlstates")
class SomeClass08Codes:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code in {"40001", "40P01", "57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08006"}
        return _connection_failure(exc)


@wrong("everything but an integrity error is transient: a syntax error or a timeout is retried for nothing",
       caught_by="permanent_sqlstates")
class AllButIntegrityErrors:
    def is_transient(exc: BaseException) -> bool:
        if isinstance(exc, psycopg2.IntegrityError):
            return False
        if getattr(exc, "pgcode", None) is None:
            return _connection_failure(exc)
        return True


@wrong("every OperationalError is transient: 57014 timeouts and 28P01 logins are retried",
       caught_by="permanent_sqlstates")
class EveryOperationalError:
    def is_transient(exc: BaseException) -> bool:
        if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            return True
        return getattr(exc, "pgcode", None) in {"40001", "40P01"}


@wrong("prefix classes 40 and 57: 40002 and 57P04 (database dropped) and 57014 (timeout) are retried",
       caught_by="permanent_sqlstates")
class WholeClasses40And57:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code[:2] in {"40", "57", "08"} or code == "53300"
        return _connection_failure(exc)


@wrong("reads the message before the SQLSTATE: an OperationalError like 57014 or 57P04 looks like a network blip",
       caught_by="permanent_sqlstates")
class MessageBeforeSqlstate:
    def is_transient(exc: BaseException) -> bool:
        if isinstance(exc, psycopg2.OperationalError):
            return not any(m in str(exc) for m in PERMANENT_CONNECT)
        code = getattr(exc, "pgcode", None)
        return code in {"40001", "40P01"} or (code or "").startswith("08")


@wrong("any failed connection is transient: a wrong password is retried, a failed login each time",
       caught_by="failed_connections")
class EveryFailedConnection:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code in {"40001", "40P01", "57P01", "57P02", "57P03", "53300"} or code.startswith("08")
        return isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError, ConnectionError, TimeoutError))


@wrong("only OperationalError counts as a connection failure: a connection already closed (InterfaceError) is final",
       caught_by="failed_connections")
class ForgetsInterfaceError:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code in {"40001", "40P01", "57P01", "57P02", "57P03", "53300"} or code.startswith("08")
        if isinstance(exc, psycopg2.OperationalError):
            return not any(m in str(exc) for m in PERMANENT_CONNECT)
        return isinstance(exc, (ConnectionError, TimeoutError))


@wrong("no SQLSTATE means transient: a KeyError from a bug is retried five times", caught_by="other_exceptions")
class NoSqlstateMeansTransient:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code in {"40001", "40P01", "57P01", "57P02", "57P03", "53300"} or code.startswith("08")
        if isinstance(exc, psycopg2.OperationalError):
            return not any(m in str(exc) for m in PERMANENT_CONNECT)
        return True


@wrong("any OSError counts as the network: a missing file or a denied permission is retried five times",
       caught_by="other_exceptions")
class AnyOSError:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code is not None:
            return code in {"40001", "40P01", "57P01", "57P02", "57P03", "53300"} or code.startswith("08")
        if isinstance(exc, psycopg2.OperationalError):
            return not any(m in str(exc) for m in PERMANENT_CONNECT)
        if isinstance(exc, psycopg2.InterfaceError):
            return True
        return isinstance(exc, OSError)


@wrong("a failed connection is permanent only for 'password' or 'does not exist': a login refused by pg_hba.conf "
       "or for want of CONNECT privilege is retried", caught_by="failed_connections")
class OnlyPasswordOrMissing:
    def is_transient(exc: BaseException) -> bool:
        code = getattr(exc, "pgcode", None)
        if code:
            return code in {"40001", "40P01", "57P01", "57P02", "57P03", "53300"} or code.startswith("08")
        if isinstance(exc, psycopg2.OperationalError):
            msg = str(exc).lower()
            return not ("password" in msg or "does not exist" in msg)
        return isinstance(exc, (psycopg2.InterfaceError, ConnectionError, TimeoutError))
