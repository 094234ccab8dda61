"""Attempts at network_timeout (spoilers): what students hand in, and the verdict due."""
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import psycopg2
import psycopg2.errors
from psycopg2.extensions import make_dsn, parse_dsn

from failurelab.attempts import right, wrong
from sessions.session1.config import CONNECT_TIMEOUT_S, STATEMENT_TIMEOUT_MS
from sessions.session1.load import StepTimedOut


def _timed_out(step, budget_ms):
    return StepTimedOut(f"step '{step}' ran past its budget of {budget_ms} ms (statement_timeout) and was cancelled; "
                        "split it into smaller batches or give this step a larger budget")


def _rows(cur):
    return cur.fetchall() if cur.description else []


@right("SET LOCAL with a bound parameter inside `with conn:` (commit or roll back), ms units in options, "
       "keepalives 60/5/10, tcp_user_timeout 30 s")
class SetLocalInWithConn:
    def connection_params(settings):
        return dict(host=settings.host, port=settings.port, dbname=settings.dbname, user=settings.user,
                    password=settings.password, connect_timeout=str(settings.connect_timeout),
                    options=f"-c statement_timeout={settings.statement_timeout_ms}ms",
                    keepalives=1, keepalives_idle=60, keepalives_interval=5, keepalives_count=10,
                    tcp_user_timeout=30_000)

    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn:  # commits when the block ends, rolls back when it raises
                with conn.cursor() as cur:
                    cur.execute("SET LOCAL statement_timeout = %s", (int(budget_ms),))
                    cur.execute(sql, params)
                    return _rows(cur)
        except psycopg2.errors.QueryCanceled as err:
            raise _timed_out(step, budget_ms) from err


@right("explicit try/except with set_config(..., true), rollback in each branch, StepTimedOut raised while handling")
class SetConfigTryExcept(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        cur = conn.cursor()
        try:
            cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{budget_ms}ms",))
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description is not None else []
            conn.commit()
            return rows
        except psycopg2.errors.QueryCanceled:
            conn.rollback()
            raise _timed_out(step, budget_ms)  # raised while handling the cancel: the traceback shows both
        except BaseException:
            conn.rollback()
            raise
        finally:
            cur.close()


@wrong("a timer calling conn.cancel() instead of the step's statement_timeout: a connection default of 500 ms "
       "still cuts a step budgeted 2000 ms", caught_by="larger_budget_overrides")
class TimerThatCancelsOnTheServer(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        timer = threading.Timer(budget_ms / 1000, conn.cancel)
        try:
            with conn.cursor() as cur:
                timer.start()
                try:
                    cur.execute(sql, params)
                finally:
                    timer.cancel()
                rows = _rows(cur)
            conn.commit()
            return rows
        except psycopg2.errors.QueryCanceled:
            conn.rollback()
            raise _timed_out(step, budget_ms)  # raised while handling the cancel: the traceback shows both
        except Exception:
            conn.rollback()
            raise


@wrong("sets only the statement timeout: without connect_timeout a silent server hangs the job at connect",
       caught_by="silent_server_fails_within_connect_timeout")
class NoConnectTimeout(SetLocalInWithConn):
    def connection_params(settings):
        return {"host": settings.host, "port": settings.port, "dbname": settings.dbname, "user": settings.user,
                "password": settings.password, "options": f"-c statement_timeout={settings.statement_timeout_ms}"}


@wrong("hard-codes the module's constants: DB_STATEMENT_TIMEOUT_MS and a chosen connect_timeout are ignored",
       caught_by="both_timeouts")
class HardCodedTimeouts(SetLocalInWithConn):
    def connection_params(settings):
        return {"host": settings.host, "port": settings.port, "dbname": settings.dbname, "user": settings.user,
                "password": settings.password, "connect_timeout": CONNECT_TIMEOUT_S,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}


@wrong("converts the milliseconds to whole seconds: 4321 ms becomes 4 s", caught_by="both_timeouts")
class StatementTimeoutInWholeSeconds(SetLocalInWithConn):
    def connection_params(settings):
        return {"host": settings.host, "port": settings.port, "dbname": settings.dbname, "user": settings.user,
                "password": settings.password, "connect_timeout": settings.connect_timeout,
                "options": f"-c statement_timeout={settings.statement_timeout_ms // 1000}s"}


@wrong("a Python timer around the query: the step 'times out' but the statement keeps running on the server",
       caught_by="cancelled_on_the_server")
class ClientSideTimerOnly(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        def work():
            with conn.cursor() as cur:
                cur.execute(sql, params)
                rows = _rows(cur)
            conn.commit()
            return rows
        pool = ThreadPoolExecutor(max_workers=1)
        future = pool.submit(work)
        pool.shutdown(wait=False)
        try:
            return future.result(timeout=budget_ms / 1000)
        except FutureTimeout:
            raise _timed_out(step, budget_ms) from None


@wrong("SET statement_timeout without LOCAL: the step's budget stays on the connection for everything after it",
       caught_by="budget_ends_with_the_step")
class SessionSetLeaks(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET statement_timeout = {int(budget_ms)}")
                cur.execute(sql, params)
                rows = _rows(cur)
            conn.commit()
            return rows
        except psycopg2.errors.QueryCanceled as err:
            conn.rollback()
            raise _timed_out(step, budget_ms) from err


@wrong("resets the timeout to 0 ('no limit') after the step instead of to the connection's own value",
       caught_by="budget_ends_with_the_step")
class ResetsToZero(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = %s", (int(budget_ms),))
                cur.execute(sql, params)
                rows = _rows(cur)
            conn.commit()
            return rows
        except psycopg2.errors.QueryCanceled as err:
            conn.rollback()
            raise _timed_out(step, budget_ms) from err
        finally:
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = 0")
            conn.commit()


@wrong("the reference's 300 ms written in: a step sized at 900 ms is cancelled at 300", caught_by="batches_fit")
class HardCodedBudget(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SET LOCAL statement_timeout = 300")
                cur.execute(sql, params)
                return _rows(cur)
        except psycopg2.errors.QueryCanceled as err:
            raise _timed_out(step, budget_ms) from err


@wrong("passes the budget as seconds ('250s'): nothing is ever cancelled in time", caught_by="batches_fit")
class BudgetInSeconds(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{budget_ms}s",))
                cur.execute(sql, params)
                return _rows(cur)
        except psycopg2.errors.QueryCanceled as err:
            raise _timed_out(step, budget_ms) from err


@wrong("raises StepTimedOut without rolling back: the connection is left in an aborted transaction",
       caught_by="budget_ends_with_the_step")
class NoRollbackAfterTheCancel(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(budget_ms)}ms",))
            try:
                cur.execute(sql, params)
            except psycopg2.errors.QueryCanceled as err:
                raise _timed_out(step, budget_ms) from err
            rows = _rows(cur)
        conn.commit()
        return rows


@wrong("turns every database error into StepTimedOut: a division by zero is reported as 'ran past its budget'",
       caught_by="other_errors_are_not_timeouts")
class EveryErrorIsATimeout(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(budget_ms)}ms",))
                cur.execute(sql, params)
                return _rows(cur)
        except psycopg2.Error as err:
            raise _timed_out(step, budget_ms) from err


@wrong("catches psycopg2.OperationalError (QueryCanceled's base class): a lock_timeout (LockNotAvailable) is "
       "reported as 'ran past its budget'", caught_by="other_errors_are_not_timeouts")
class CatchesOperationalError(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        with conn.cursor() as cur:
            try:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{budget_ms}ms",))
                cur.execute(sql, params)
                rows = _rows(cur)
                conn.commit()
                return rows
            except psycopg2.OperationalError as err:
                conn.rollback()
                raise _timed_out(step, budget_ms) from err
            except Exception:
                conn.rollback()
                raise


@wrong("returns the rows without committing: the step's work is invisible to others and lost at close",
       caught_by="commits_and_returns")
class NoCommit(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(budget_ms)}ms",))
                cur.execute(sql, params)
                return _rows(cur)
        except psycopg2.errors.QueryCanceled as err:
            conn.rollback()
            raise _timed_out(step, budget_ms) from err


@wrong("starts a cancel timer but never stops it: it cancels whatever runs on the connection when it fires",
       caught_by="batches_fit")
class TimerNeverStopped(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        threading.Timer(budget_ms / 1000, lambda: conn.closed or conn.cancel()).start()
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql, params)
                return _rows(cur)
        except psycopg2.errors.QueryCanceled as err:
            raise _timed_out(step, budget_ms) from err


@right("builds a libpq DSN string and parses it back: every value a string; keepalives 45/5/6, tcp_user_timeout "
       "75 s; SHOW the connection's timeout, SET it for the step and put it back afterwards")
class DsnAndSaveRestore:
    def connection_params(settings):
        return parse_dsn(make_dsn(host=settings.host, port=settings.port, dbname=settings.dbname, user=settings.user,
                                  password=settings.password, connect_timeout=settings.connect_timeout,
                                  keepalives="1", keepalives_idle="45", keepalives_interval="5",
                                  keepalives_count="6", tcp_user_timeout="75000",
                                  options=f"-c statement_timeout={settings.statement_timeout_ms}"))

    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        with conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            own = cur.fetchone()[0]
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET statement_timeout = {int(budget_ms)}")  # undone by a rollback, put back below
                cur.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
            conn.commit()
            return rows
        except psycopg2.errors.QueryCanceled as err:
            conn.rollback()
            raise _timed_out(step, budget_ms) from err
        except BaseException:
            conn.rollback()
            raise
        finally:
            with conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, false)", (own,))
            conn.commit()


def _params(settings, **limits):
    return {"host": settings.host, "port": settings.port, "dbname": settings.dbname, "user": settings.user,
            "password": settings.password, "options": f"-c statement_timeout={settings.statement_timeout_ms}",
            **limits}


_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


@wrong("connect_timeout=0 to 'fail at once': for libpq 0 means wait forever", caught_by="silent_server_fails")
class ConnectTimeoutZero(SetLocalInWithConn):
    def connection_params(settings):
        return _params(settings, connect_timeout=0, **_KEEPALIVES, tcp_user_timeout=60_000)


@wrong("connect_timeout in milliseconds like statement_timeout: 1 s becomes 1000 s", caught_by="silent_server_fails")
class ConnectTimeoutInMilliseconds(SetLocalInWithConn):
    def connection_params(settings):
        return _params(settings, connect_timeout=settings.connect_timeout * 1000, **_KEEPALIVES,
                       tcp_user_timeout=60_000)


@wrong("keepalives_idle/interval in milliseconds: 30000 means a first probe after 8 hours",
       caught_by="silent_connection_is_noticed")
class KeepalivesInMilliseconds(SetLocalInWithConn):
    def connection_params(settings):
        return _params(settings, connect_timeout=settings.connect_timeout, keepalives=1, keepalives_idle=30_000,
                       keepalives_interval=10_000, keepalives_count=3, tcp_user_timeout=60_000)


@wrong("keepalives=1 alone: it is libpq's default already, the first probe still waits the kernel's 2 hours",
       caught_by="silent_connection_is_noticed")
class KeepalivesOnWithoutTimes(SetLocalInWithConn):
    def connection_params(settings):
        return _params(settings, connect_timeout=settings.connect_timeout, keepalives=1, tcp_user_timeout=60_000)


@wrong("the server's tcp_keepalives_* in options: the server probes the client, the client still waits for hours",
       caught_by="silent_connection_is_noticed")
class ServerSideKeepalives(SetLocalInWithConn):
    def connection_params(settings):
        return {**_params(settings, connect_timeout=settings.connect_timeout, tcp_user_timeout=60_000),
                "options": f"-c statement_timeout={settings.statement_timeout_ms} -c tcp_keepalives_idle=30 "
                           "-c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"}


@wrong("tcp_user_timeout=60 meant as seconds: 60 ms drops a healthy connection at the first lost packet",
       caught_by="silent_connection_is_noticed")
class TcpUserTimeoutInSeconds(SetLocalInWithConn):
    def connection_params(settings):
        return _params(settings, connect_timeout=settings.connect_timeout, **_KEEPALIVES, tcp_user_timeout=60)


@wrong("turns autocommit on for the step: SET LOCAL outside a transaction block does nothing (a WARNING only)",
       caught_by="batches_fit")
class SetLocalInAutocommit(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        conn.autocommit = True  # every statement commits itself: nothing to forget
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET LOCAL statement_timeout = {int(budget_ms)}")
                cur.execute(sql, params)
                return _rows(cur)
        except psycopg2.errors.QueryCanceled as err:
            raise _timed_out(step, budget_ms) from err
        finally:
            conn.autocommit = False


@wrong("commits right after SET LOCAL 'to apply it': the commit ends the setting before the step runs",
       caught_by="batches_fit")
class CommitsTheSetLocalAway(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL statement_timeout = %s", (int(budget_ms),))
                conn.commit()
                cur.execute(sql, params)
                rows = _rows(cur)
            conn.commit()
            return rows
        except psycopg2.errors.QueryCanceled as err:
            conn.rollback()
            raise _timed_out(step, budget_ms) from err
        except Exception:
            conn.rollback()
            raise


@wrong("retries a cancelled step (3 tries) before giving up: the server runs the too-slow statement three times",
       caught_by="cancelled_on_the_server")
class RetriesTheCancelledStep(SetLocalInWithConn):
    def run_with_budget(conn, sql, params=None, *, budget_ms, step):
        for attempt in range(3):
            try:
                with conn, conn.cursor() as cur:
                    cur.execute("SET LOCAL statement_timeout = %s", (int(budget_ms),))
                    cur.execute(sql, params)
                    return _rows(cur)
            except psycopg2.errors.QueryCanceled as err:
                if attempt == 2:
                    raise _timed_out(step, budget_ms) from err
