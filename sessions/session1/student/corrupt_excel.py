"""Your fix for corrupt_excel: look at the file before an Excel engine does.

Run: pytest --student sessions/session1 -k corrupt_excel -s
"""
from __future__ import annotations

import os
from pathlib import Path

from sessions.session1.reader import UnreadableSource, check_source


def check_xlsx(path: str | os.PathLike) -> Path:
    # TODO(corrupt_excel): an .xlsx is a zip archive. Read the first 4 bytes: not
    # b"PK\x03\x04" -> raise UnreadableSource("<path> is not an .xlsx file: it
    # starts with ..."). Then open it with zipfile.ZipFile and testzip(); a
    # BadZipFile/EOFError -> UnreadableSource("<path> is a damaged .xlsx (...):
    # probably truncated ..."). Return the absolute path (use check_source first).
    raise NotImplementedError("TODO(corrupt_excel): write check_xlsx")
