"""Your fix for duplicate_primary_key: a load you can run twice.

Run: pytest --student sessions/session1 -k duplicate_primary_key -s
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sessions.session1.load import RAW_COLUMNS, REJECTED_COLUMNS, copy_frame


def replace_source(conn, source_file: str, good: pd.DataFrame, rejected: pd.DataFrame,
                   progress: Callable[[float], None] | None = None) -> int:
    # TODO(duplicate_primary_key): in ONE transaction: DELETE this source_file's
    # rows from bronze.raw_transactions and bronze.rejected_rows, then
    # copy_frame(cur, good.assign(source_file=...), "bronze.raw_transactions",
    # RAW_COLUMNS) and the same for rejected (REJECTED_COLUMNS); commit. On any
    # exception roll back and re-raise. Return the number of rows loaded.
    raise NotImplementedError("TODO(duplicate_primary_key): write replace_source")
