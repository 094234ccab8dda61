"""Your fix for sql_syntax_error: parse every statement before running any.

Run: pytest --student sessions/session2 -k sql_syntax_error -s
"""
from __future__ import annotations

from pathlib import Path


def check_sql(conn, path: Path) -> int:
    # TODO(sql_syntax_error): split the file into statements
    # (sessions.session2.runner.split), have the server parse each one without
    # running it (hint: the body of a throwaway PL/pgSQL function is parsed when
    # the function is created), roll back, and on a SyntaxError raise
    # runner.SqlFileError(file name, statement number, file line, column, error).
    # Return the number of statements.
    raise NotImplementedError("TODO(sql_syntax_error): write check_sql")
