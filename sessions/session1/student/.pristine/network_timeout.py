"""Your fix for network_timeout: decide how long is too long, step by step.

Run: pytest --student sessions/session1 -k network_timeout -s

connection_params(settings) returns the keyword arguments for
psycopg2.connect(**params): host, port, dbname, user, password, and every
limit set on purpose:

* connect_timeout = settings.connect_timeout (whole seconds to reach the
  server; 0 or missing means wait forever). Graded for real: against a port
  that accepts the TCP connection and never answers, with connect_timeout=1,
  psycopg2.connect(**params) must fail with libpq's "timeout expired" within
  3 s.
* client TCP keepalives, so a connection that goes silent mid-query (the
  server's host died, a firewall forgot the connection) is noticed within two
  minutes instead of the kernel's default of over two hours: keepalives=1,
  keepalives_idle 1-60 (seconds before the first probe), keepalives_interval
  1-30 (seconds between probes), keepalives_count 1-10 (unanswered probes
  before the connection counts as dead), with idle + interval x count <= 120.
  These are libpq keywords of psycopg2.connect(); the server's
  tcp_keepalives_* settings (options="-c ...") do not set the client's.
* tcp_user_timeout between 5000 and 120000 (MILLISECONDS that sent data may
  stay unacknowledged before the kernel drops the connection; libpq >= 12).
  The test reads all of these back from the connection's socket.
* options = "-c statement_timeout=<settings.statement_timeout_ms>" (the
  server then runs the connection with that many milliseconds per statement:
  SHOW statement_timeout says e.g. "4321ms").

Other keys (application_name ...) are allowed.

run_with_budget(conn, sql, params=None, *, budget_ms, step) runs ONE step on a
normal (not autocommit) connection, in a transaction of its own:

* statement_timeout is budget_ms for this step only (SET LOCAL, or
  set_config('statement_timeout', '<n>ms', true)): PostgreSQL itself cancels
  the statement when the budget runs out, so nothing keeps running on the
  server. It replaces the connection's own statement_timeout for the step,
  larger or smaller: with a budget of 2000 ms a 1 s step finishes even on a
  connection whose own statement_timeout is 500 ms (so a timer calling
  conn.cancel() is not enough). Afterwards the connection has its own
  statement_timeout again.
* It runs sql with params and returns its rows as a list of tuples ([] for a
  statement without a result, e.g. CREATE TABLE), after COMMIT: other
  connections see the step's work once it returns.
* Past the budget (psycopg2.errors.QueryCanceled): roll back and raise
  sessions.session1.load.StepTimedOut from that error at once (do not run
  the step again: the caller decides), with a message that
  starts "step '<step>' ran past its budget of <budget_ms> ms", e.g. "step
  'load all at once' ran past its budget of 300 ms (statement_timeout) and was
  cancelled; split it into smaller batches or give this step a larger budget".
* Any other error (e.g. DivisionByZero, or LockNotAvailable from a
  lock_timeout: also a psycopg2.OperationalError, but not a statement
  timeout): roll back and let it through unchanged. Either way the connection
  is left idle and usable: a second connection sees its backend 'idle' in
  pg_stat_activity (the statement really stopped on the server, nothing left
  open), and SHOW statement_timeout on it gives its own value again.
"""
from __future__ import annotations

from sessions.session1.config import Settings
from sessions.session1.load import StepTimedOut


def connection_params(settings: Settings) -> dict:
    # TODO(network_timeout): return psycopg2.connect() keyword arguments for these
    # settings (host, port, dbname, user, password) plus connect_timeout
    # (settings.connect_timeout, seconds), keepalives=1 with keepalives_idle,
    # keepalives_interval, keepalives_count (seconds; see above),
    # tcp_user_timeout (milliseconds) and options="-c statement_timeout=..."
    # (settings.statement_timeout_ms): every limit chosen on purpose.
    raise NotImplementedError("TODO(network_timeout): write connection_params")


def run_with_budget(conn, sql: str, params: tuple | None = None, *, budget_ms: int, step: str) -> list[tuple]:
    # TODO(network_timeout): in one transaction, SET LOCAL statement_timeout to
    # budget_ms (SELECT set_config('statement_timeout', '500ms', true)), run sql,
    # fetch its rows ([] without a result), commit. On
    # psycopg2.errors.QueryCanceled roll back and raise StepTimedOut("step
    # '<step>' ran past its budget of <budget_ms> ms ...") from it; on any other
    # error (other OperationalErrors too) roll back and re-raise it.
    raise NotImplementedError("TODO(network_timeout): write run_with_budget")
