"""Run SQL files: each file one transaction, errors named by file, statement and line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import extensions

SQL_DIR = Path(__file__).resolve().parent / "sql"
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)
_TOKEN = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(\$[A-Za-z_]*\$).*?\1|;", re.S)


class TransformError(Exception):
    """The transformation cannot go on; the message says what to do."""


class SqlFileError(TransformError):
    """A statement of a SQL file failed (or does not parse); its transaction was rolled back."""

    def __init__(self, file: str, statement: int, line: int, column: int | None, error: psycopg2.Error):
        self.file, self.statement, self.line, self.column = file, statement, line, column
        self.pgcode = error.pgcode
        where = f"{file}, statement {statement}, line {line}" + (f", column {column}" if column else "")
        first = (error.pgerror or str(error)).strip().splitlines()[0].removeprefix("ERROR:  ")
        super().__init__(f"{where}: {first} [SQLSTATE {error.pgcode}]")


@dataclass(frozen=True)
class Statement:
    number: int  # 1 = first statement of the file
    line: int    # the file line where it starts
    text: str

    def locate(self, position: int | None) -> tuple[int, int | None]:
        """File line and column of a 1-based character position inside the statement."""
        if not position:
            return self.line, None
        before = self.text[:position - 1]
        return self.line + before.count("\n"), len(before) - before.rfind("\n")


def split(sql: str) -> list[Statement]:
    """Split a file into statements at top-level semicolons (strings, comments, $$ bodies respected)."""
    out, start = [], 0
    for m in _TOKEN.finditer(sql):
        if m.group() == ";":
            out.append((start, m.start()))
            start = m.end()
    out.append((start, len(sql)))
    statements = []
    for begin, end in out:
        text = sql[begin:end]
        code = _TOKEN.sub(lambda m: "" if m.group().startswith(("--", "/*")) else m.group(), text)
        if code.strip():
            lead = _LEADING.match(text).end()  # the statement starts at its code, not its comment
            statements.append(Statement(len(statements) + 1, sql.count("\n", 0, begin + lead) + 1, text[lead:].rstrip()))
    return statements


def require_idle(conn) -> None:
    """Refuse a connection with uncommitted work: our commit would commit it too."""
    if conn.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE:
        raise TransformError("the connection has an open transaction: commit or roll back before the transform")


# A SQL-language function with a polymorphic argument: when it is created, its body goes through the server's
# own parser (the grammar a statement sent on its own meets) and no further, since the argument's type is not
# known yet (no table lookups, nothing run). A PL/pgSQL body would be parsed by PL/pgSQL's grammar on top, which
# takes `SELECT ... INTO` for its own INTO-a-variable and refuses a valid `SELECT ... INTO TEMP x`.
_CHECK = "CREATE FUNCTION pg_temp.syntax_check(anyelement) RETURNS void LANGUAGE sql AS $syntax_check$\n"


def check_sql(conn, path: Path) -> int:
    """Have the server parse every statement of a file without running it; return how many.

    Each statement becomes the body of a throwaway SQL function with a polymorphic
    argument: creating it runs the server's parser over the statement (syntax only:
    the tables need not exist yet) and executes nothing. The transaction is rolled
    back, so the check leaves no trace.
    """
    path = Path(path)
    statements = split(path.read_text())
    try:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL check_function_bodies = on")  # off, CREATE FUNCTION would not parse at all
            for st in statements:
                cur.execute("SAVEPOINT syntax_check")
                try:
                    cur.execute(f"{_CHECK}{st.text}\n$syntax_check$")
                except psycopg2.errors.SyntaxError as e:
                    position = (e.diag.statement_position and int(e.diag.statement_position) - len(_CHECK))
                    line, column = st.locate(min(max(position or 0, 0), len(st.text)) or None)
                    raise SqlFileError(path.name, st.number, line, column, e) from e
                cur.execute("ROLLBACK TO SAVEPOINT syntax_check")
    finally:
        conn.rollback()
    return len(statements)


def run_file(conn, path: Path, settings: dict[str, str] | None = None) -> int:
    """Run one SQL file as one transaction: all its statements commit, or none.

    On error the transaction is rolled back (the connection stays usable) and a
    SqlFileError names the file, the statement and its line. ``settings`` are
    set with SET LOCAL semantics for this transaction only. Returns rows affected.
    """
    path = Path(path)
    require_idle(conn)
    rows = 0
    with conn.cursor() as cur:
        st = None
        try:
            for key, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (key, value))
            for st in split(path.read_text()):
                cur.execute(st.text)
                rows += max(cur.rowcount, 0)
            conn.commit()
        except psycopg2.Error as e:
            conn.rollback()
            if st is None:
                raise
            position = e.diag.statement_position and int(e.diag.statement_position)
            raise SqlFileError(path.name, st.number, *st.locate(position), e) from e
    return rows
