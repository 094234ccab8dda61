"""Your fix for sql_syntax_error: parse every statement before running any.

Run: pytest --student sessions/session2 -k sql_syntax_error -s

What the tests check:
* a file whose SQL parses: return its number of statements
  (``len(runner.split(text))``), having run none of them (nothing created);
  "parses" as the server itself parses a statement sent to it, so valid SQL
  such as ``SELECT ... INTO TEMP x`` (or ``INTO TEMPORARY TABLE x``,
  ``INTO UNLOGGED x``, ``INTO x``) and ``CREATE TEMP TABLE`` is accepted;
* a syntax error: raise ``runner.SqlFileError(file name, statement number,
  line, column, error)`` with the psycopg2 error (its ``pgcode`` 42601 and
  message are kept), for the first statement that does not parse:
  ``file`` is the file's name (``path.name``), ``statement`` counts from 1 as
  ``runner.split`` numbers them, ``line`` and ``column`` are where the error is
  in the FILE (not in the statement, and not in whatever text you sent to the
  server): ``Statement.locate(position in the statement)`` turns the server's
  position into both;
* the tables need not exist (the pipeline's files are checked before bronze
  or silver do), and no transaction is left open afterwards, whether the
  check passes or fails (``conn.info.transaction_status`` is IDLE).
"""
from __future__ import annotations

from pathlib import Path


def check_sql(conn, path: Path) -> int:
    # TODO(sql_syntax_error): split the file into statements
    # (sessions.session2.runner.split), have the server parse each one without
    # running it (hint: the body of a throwaway LANGUAGE sql function with an
    # anyelement argument is parsed, not analysed or run, when the function is
    # created; a PL/pgSQL body reads SELECT ... INTO as its own and refuses
    # valid SQL; e.diag.statement_position is where the error is in the text
    # you sent), roll back, and on a SyntaxError raise
    # runner.SqlFileError(file name, statement number, file line, column, error).
    # Return the number of statements.
    raise NotImplementedError("TODO(sql_syntax_error): write check_sql")
