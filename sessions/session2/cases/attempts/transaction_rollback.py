"""Attempts at transaction_rollback (spoilers): what students hand in, and the verdict due."""
import logging
from pathlib import Path

import psycopg2
from psycopg2 import sql

from failurelab.attempts import right, wrong
from sessions.session2.runner import SqlFileError, split

log = logging.getLogger(__name__)


def _error(path, st, e):
    position = e.diag.statement_position
    return SqlFileError(Path(path).name, st.number, *st.locate(position and int(position)), e)


@wrong("commits statement by statement: the DELETE before the failure stays, the fact is left half-refreshed",
       caught_by="rolls_the_file_back_whole")
class CommitsEachStatement:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for st in split(Path(path).read_text()):
                for key, value in (settings or {}).items():
                    cur.execute("SELECT set_config(%s, %s, true)", (key, value))
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    conn.rollback()
                    raise _error(path, st, e) from e
                rows += max(cur.rowcount, 0)
                conn.commit()
        return rows


@wrong("a savepoint per statement, log the error and carry on: no error reaches the caller, the DELETE is kept",
       caught_by="rolls_the_file_back_whole")
class SavepointLogAndCarryOn:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for st in split(Path(path).read_text()):
                cur.execute("SAVEPOINT statement")
                try:
                    cur.execute(st.text)
                    rows += max(cur.rowcount, 0)
                except psycopg2.Error as e:
                    cur.execute("ROLLBACK TO SAVEPOINT statement")
                    log.error("%s", _error(path, st, e))
            conn.commit()
        return rows


@wrong("raises SqlFileError without rolling back: the caller's connection stays in an aborted transaction",
       caught_by="rolls_the_file_back_whole")
class RaisesWithoutRollback:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for st in split(Path(path).read_text()):
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    raise _error(path, st, e) from e
                rows += max(cur.rowcount, 0)
        conn.commit()
        return rows


@wrong("rolls back, then re-raises the driver's error: it names neither the file nor the statement",
       caught_by="rolls_the_file_back_whole")
class ReRaisesTheDriverError:
    def run_file(conn, path, settings=None):
        rows = 0
        try:
            with conn.cursor() as cur:
                for key, value in (settings or {}).items():
                    cur.execute("SELECT set_config(%s, %s, true)", (key, value))
                for st in split(Path(path).read_text()):
                    cur.execute(st.text)
                    rows += max(cur.rowcount, 0)
            conn.commit()
        except psycopg2.Error:
            conn.rollback()
            raise
        return rows


@wrong("numbers the statements from 0 (enumerate): the error points at the statement before the broken one",
       caught_by="rolls_the_file_back_whole")
class StatementsFromZero:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for number, st in enumerate(split(Path(path).read_text())):
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    conn.rollback()
                    raise SqlFileError(Path(path).name, number, st.line, None, e) from e
                rows += max(cur.rowcount, 0)
        conn.commit()
        return rows


@wrong("always reports the line where the statement starts, ignoring where the server points",
       caught_by="line_the_server_points_at")
class StatementStartLineOnly:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for st in split(Path(path).read_text()):
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    conn.rollback()
                    raise SqlFileError(Path(path).name, st.number, st.line, None, e) from e
                rows += max(cur.rowcount, 0)
        conn.commit()
        return rows


@wrong("adds rowcount as it comes: a CREATE counts as -1 row", caught_by="counts_its_rows")
class AddsMinusOneForDdl:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for st in split(Path(path).read_text()):
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    conn.rollback()
                    raise _error(path, st, e) from e
                rows += cur.rowcount
        conn.commit()
        return rows


@wrong("rolls back on error but never commits on success: the file's work is lost when the connection closes",
       caught_by="commits_a_good_file")
class NeverCommits:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for st in split(Path(path).read_text()):
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    conn.rollback()
                    raise _error(path, st, e) from e
                rows += max(cur.rowcount, 0)
        return rows


@wrong("sets the settings for the session (set_config(..., false)): they leak into every later statement",
       caught_by="settings_hold_for_the_file_only")
class SessionWideSettings:
    def run_file(conn, path, settings=None):
        rows = 0
        with conn.cursor() as cur:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, false)", (key, value))
            for st in split(Path(path).read_text()):
                try:
                    cur.execute(st.text)
                except psycopg2.Error as e:
                    conn.rollback()
                    raise _error(path, st, e) from e
                rows += max(cur.rowcount, 0)
        conn.commit()
        return rows


@right("psycopg2's `with conn:` block commits or rolls back; SET LOCAL built with psycopg2.sql; locate by hand")
class ConnectionBlock:
    def run_file(conn, path, settings=None):
        path = Path(path)
        statements = split(path.read_text())
        total, current = 0, None
        try:
            with conn:  # commit on success, rollback on any exception
                with conn.cursor() as cur:
                    for key, value in (settings or {}).items():
                        cur.execute(sql.SQL("SET LOCAL {} = {}").format(sql.SQL(key), sql.Literal(value)))
                    for current in statements:
                        cur.execute(current.text)
                        if cur.rowcount > 0:
                            total += cur.rowcount
        except psycopg2.Error as e:
            if current is None:
                raise
            line, column = current.line, None
            if e.diag.statement_position:
                before = current.text[:int(e.diag.statement_position) - 1]
                line += before.count("\n")
                column = len(before.split("\n")[-1]) + 1
            raise SqlFileError(path.name, current.number, line, column, e) from e
        return total


@right("one BEGIN ... COMMIT sent by hand on an autocommit connection, settings in the same transaction")
class ExplicitBeginCommit:
    def run_file(conn, path, settings=None):
        path = Path(path)
        was, conn.autocommit = conn.autocommit, True
        rows = 0
        try:
            with conn.cursor() as cur:
                cur.execute("BEGIN")
                st = None
                try:
                    for key, value in (settings or {}).items():
                        cur.execute("SELECT set_config(%s, %s, true)", (key, value))
                    for st in split(path.read_text()):
                        cur.execute(st.text)
                        rows += max(cur.rowcount, 0)
                    cur.execute("COMMIT")
                except psycopg2.Error as e:
                    cur.execute("ROLLBACK")
                    if st is None:
                        raise
                    raise _error(path, st, e) from e
        finally:
            conn.autocommit = was
        return rows
