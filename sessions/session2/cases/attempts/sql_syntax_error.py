"""Attempts at sql_syntax_error (spoilers): what students hand in, and the verdict due."""
import logging
from pathlib import Path

import psycopg2

from failurelab.attempts import right, wrong
from sessions.session2.runner import SqlFileError, split

PREFIX = "CREATE FUNCTION pg_temp.parse_only(anyelement) RETURNS void LANGUAGE sql AS $parse$\n"
SUFFIX = "\n$parse$"


def _parse_each(conn, path, locate):
    """The shared loop of several attempts: one throwaway function per statement, savepoints between."""
    path = Path(path)
    statements = split(path.read_text())
    try:
        with conn.cursor() as cur:
            for st in statements:
                cur.execute("SAVEPOINT parse")
                try:
                    cur.execute(PREFIX + st.text + SUFFIX)
                except psycopg2.errors.SyntaxError as e:
                    position = int(e.diag.statement_position) - len(PREFIX)
                    raise SqlFileError(path.name, st.number, *locate(st, position), e) from e
                cur.execute("ROLLBACK TO SAVEPOINT parse")
    finally:
        conn.rollback()
    return len(statements)


@wrong("counts the line inside the statement, as the server's LINE does: line 2 instead of the file's line 7",
       caught_by="found_before_running_with_file_line_and_column")
class LineOfTheStatement:
    def check_sql(conn, path):
        def locate(st, position):
            before = st.text[:position - 1]
            return before.count("\n") + 1, len(before) - before.rfind("\n")
        return _parse_each(conn, path, locate)


@wrong("reports the line where the statement starts and the offset in the statement as the column",
       caught_by="found_before_running_with_file_line_and_column")
class StatementStartAndOffset:
    def check_sql(conn, path):
        return _parse_each(conn, path, lambda st, position: (st.line, position))


@wrong("forgets that the wrapper's first line was sent too: the position is off by the prefix",
       caught_by="found_before_running_with_file_line_and_column")
class PositionOfTheWrapper:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        try:
            with conn.cursor() as cur:
                for st in statements:
                    cur.execute("SAVEPOINT parse")
                    try:
                        cur.execute(PREFIX + st.text + SUFFIX)
                    except psycopg2.errors.SyntaxError as e:
                        position = min(int(e.diag.statement_position), len(st.text))
                        raise SqlFileError(path.name, st.number, *st.locate(position), e) from e
                    cur.execute("ROLLBACK TO SAVEPOINT parse")
        finally:
            conn.rollback()
        return len(statements)


@wrong("parses the whole file as one function body: the line is right but every error is 'statement 1'",
       caught_by="found_before_running_with_file_line_and_column")
class WholeFileInOneFunction:
    def check_sql(conn, path):
        path = Path(path)
        text = path.read_text()
        try:
            with conn.cursor() as cur:
                cur.execute(PREFIX + text.rstrip().rstrip(";") + SUFFIX)
        except psycopg2.errors.SyntaxError as e:
            before = text[:int(e.diag.statement_position) - len(PREFIX) - 1]
            raise SqlFileError(path.name, 1, before.count("\n") + 1, len(before) - before.rfind("\n"), e) from e
        finally:
            conn.rollback()
        return len(split(text))


@wrong("runs each statement and rolls back at the end: it needs the tables, and it executes what it checks",
       caught_by="accepts_the_pipeline_files")
class RunThenRollBack:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        try:
            with conn.cursor() as cur:
                for st in statements:
                    try:
                        cur.execute(st.text)
                    except psycopg2.errors.SyntaxError as e:
                        raise SqlFileError(path.name, st.number, *st.locate(int(e.diag.statement_position)), e) from e
        finally:
            conn.rollback()
        return len(statements)


@wrong("EXPLAINs each statement: EXPLAIN needs the tables to exist and cannot take CREATE or ALTER",
       caught_by="accepts_the_pipeline_files")
class ExplainEachStatement:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        try:
            with conn.cursor() as cur:
                for st in statements:
                    cur.execute("SAVEPOINT parse")
                    try:
                        cur.execute("EXPLAIN " + st.text)
                    except psycopg2.errors.SyntaxError as e:
                        position = int(e.diag.statement_position) - len("EXPLAIN ")
                        raise SqlFileError(path.name, st.number, *st.locate(position), e) from e
                    except psycopg2.Error:
                        pass  # a table that does not exist yet is not a syntax error
                    cur.execute("ROLLBACK TO SAVEPOINT parse")
        finally:
            conn.rollback()
        return len(statements)


@wrong("splits the file at every semicolon: a $$ body is cut in two and a valid file is refused",
       caught_by="accepts_the_pipeline_files")
class SplitsAtEverySemicolon:
    def check_sql(conn, path):
        path = Path(path)
        text = path.read_text()
        chunks, line, number = [], 1, 0
        for chunk in text.split(";"):
            stripped = "\n".join(l for l in chunk.splitlines() if not l.strip().startswith("--")).strip()
            lead = chunk[:chunk.find(stripped)] if stripped else chunk
            if stripped:
                number += 1
                chunks.append((number, line + lead.count("\n"), stripped))
            line += chunk.count("\n")
        try:
            with conn.cursor() as cur:
                for number, first_line, sql in chunks:
                    cur.execute("SAVEPOINT parse")
                    try:
                        cur.execute(PREFIX + sql + SUFFIX)
                    except psycopg2.errors.SyntaxError as e:
                        before = sql[:int(e.diag.statement_position) - len(PREFIX) - 1]
                        raise SqlFileError(path.name, number, first_line + before.count("\n"),
                                           len(before) - before.rfind("\n"), e) from e
                    cur.execute("ROLLBACK TO SAVEPOINT parse")
        finally:
            conn.rollback()
        return len(chunks)


@wrong("logs the syntax error and carries on: the run then fails half-way, which the check was meant to prevent",
       caught_by="found_before_running_with_file_line_and_column")
class LogsAndCarriesOn:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        with conn.cursor() as cur:
            for st in statements:
                cur.execute("SAVEPOINT parse")
                try:
                    cur.execute(PREFIX + st.text + SUFFIX)
                except psycopg2.errors.SyntaxError as e:
                    logging.getLogger(__name__).error("%s statement %d: %s", path.name, st.number, e)
                cur.execute("ROLLBACK TO SAVEPOINT parse")
        conn.rollback()
        return len(statements)


@wrong("never rolls back: the parse leaves an open (or aborted) transaction on the caller's connection",
       caught_by="found_before_running_with_file_line_and_column")
class NoRollback:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        with conn.cursor() as cur:
            for st in statements:
                cur.execute("SAVEPOINT parse")
                try:
                    cur.execute(PREFIX + st.text + SUFFIX)
                except psycopg2.errors.SyntaxError as e:
                    raise SqlFileError(path.name, st.number, *st.locate(int(e.diag.statement_position) - len(PREFIX)),
                                       e) from e
                cur.execute("ROLLBACK TO SAVEPOINT parse")
        return len(statements)


@wrong("a DO block that RETURNs before the statement: PL/pgSQL reads SELECT ... INTO TEMP x as INTO a variable "
       "and refuses valid SQL", caught_by="accepts_select_into_temp")
class DoBlockThatReturnsFirst:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        head = "DO $check$ BEGIN RETURN;\n"
        for st in statements:
            try:
                with conn.cursor() as cur:
                    cur.execute(f"{head}{st.text};\nEND $check$")
            except psycopg2.errors.SyntaxError as e:
                conn.rollback()
                offset = int(e.diag.statement_position) - len(head) - 1  # 0-based, in st.text
                lines = st.text[:offset].split("\n")
                raise SqlFileError(path.name, st.number, st.line + len(lines) - 1, len(lines[-1]) + 1, e) from e
            finally:
                conn.rollback()
        return len(statements)


@wrong("a throwaway PL/pgSQL function per statement (the old reference): PL/pgSQL's own grammar refuses a valid "
       "SELECT ... INTO TEMP x", caught_by="accepts_select_into_temp")
class PlpgsqlFunctionPerStatement:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        head = "CREATE FUNCTION pg_temp.syntax_check() RETURNS void LANGUAGE plpgsql AS $syntax_check$BEGIN\n"
        try:
            with conn.cursor() as cur:
                for st in statements:
                    cur.execute("SAVEPOINT syntax_check")
                    try:
                        cur.execute(f"{head}{st.text};\nEND$syntax_check$")
                    except psycopg2.errors.SyntaxError as e:
                        line, column = st.locate(int(e.diag.statement_position) - len(head))
                        raise SqlFileError(path.name, st.number, line, column, e) from e
                    cur.execute("ROLLBACK TO SAVEPOINT syntax_check")
        finally:
            conn.rollback()
        return len(statements)


@wrong("sends the whole file in one execute and rolls back: parsed before any of it runs, but a valid file RUNS "
       "(and needs its tables)", caught_by="accepts_the_pipeline_files")
class WholeFileInOneExecute:
    def check_sql(conn, path):
        path = Path(path)
        text = path.read_text()
        statements = split(text)
        try:
            with conn.cursor() as cur:
                cur.execute(text)
        except psycopg2.errors.SyntaxError as e:
            before = text[:int(e.diag.statement_position) - 1]
            line = before.count("\n") + 1
            st = [s for s in statements if s.line <= line][-1]
            raise SqlFileError(path.name, st.number, line, len(before) - before.rfind("\n"), e) from e
        finally:
            conn.rollback()
        return len(statements)


@right("one named SQL function per statement with an anyarray argument and its own delimiter, RELEASE between, "
       "dropped by the final rollback")
class OneFunctionPerStatement:
    def check_sql(conn, path):
        path = Path(path)
        statements = split(path.read_text())
        try:
            with conn.cursor() as cur:
                for st in statements:
                    head = (f"CREATE OR REPLACE FUNCTION pg_temp.check_{st.number}(anyarray) RETURNS void "
                            f"LANGUAGE sql AS $body_{st.number}$\n")
                    cur.execute("SAVEPOINT s")
                    try:
                        cur.execute(f"{head}{st.text}\n$body_{st.number}$")
                    except psycopg2.errors.SyntaxError as e:
                        line, column = st.locate(int(e.diag.statement_position) - len(head))
                        raise SqlFileError(path.name, st.number, line, column, e) from e
                    cur.execute("RELEASE SAVEPOINT s")
        finally:
            conn.rollback()
        return len(statements)


@right("the whole file as ONE polymorphic SQL function body (one round trip); the statement found from the "
       "error's file line")
class WholeFileOneSqlFunction:
    def check_sql(conn, path):
        path = Path(path)
        text = path.read_text()
        statements = split(text)
        head = "CREATE FUNCTION pg_temp.whole_file(anycompatible) RETURNS void LANGUAGE sql AS $whole_file$\n"
        try:
            with conn.cursor() as cur:
                cur.execute(head + text + "\n$whole_file$")
        except psycopg2.errors.SyntaxError as e:
            before = text[:int(e.diag.statement_position) - len(head) - 1]
            line = before.count("\n") + 1
            st = [s for s in statements if s.line <= line][-1]
            raise SqlFileError(path.name, st.number, line, len(before) - before.rfind("\n"), e) from e
        finally:
            conn.rollback()
        return len(statements)
