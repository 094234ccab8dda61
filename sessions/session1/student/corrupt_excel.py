"""Your fix for corrupt_excel: look at the file before an Excel engine does.

Run: pytest --student sessions/session1 -k corrupt_excel -s

check_xlsx(path) returns the file as an absolute path (use check_source first:
a missing path or a directory raises its SourceFileMissing) when the file is a
sound workbook, and raises UnreadableSource otherwise. An .xlsx is a zip
archive of XML parts, so three checks, in this order:

1. the signature: the first 4 bytes are b"PK\\x03\\x04" (an empty file has
   none). Else: "<path> is not an .xlsx file: it starts with b'...' ...;
   re-download or re-export it".
2. the archive's integrity: it opens with zipfile.ZipFile and every part reads
   back whole (archive.testzip() reads each one and checks its CRC-32). A cut
   or damaged archive raises zipfile.BadZipFile, EOFError or zlib.error, or
   testzip() names the bad part. Else: "<path> is a damaged .xlsx (...):
   probably truncated ...; re-download or re-export it".
3. the workbook part: a sound zip is an .xlsx only if it holds
   "xl/workbook.xml" (a zipped CSV or a Word document renamed .xlsx does not).
   Else: "<path> is a zip archive but not an .xlsx: no xl/workbook.xml ...;
   re-export it".

Each message names the absolute path, says what is wrong in the words above
("is not an .xlsx file", "damaged", "xl/workbook.xml") and what to do
("re-download or re-export it").
"""
from __future__ import annotations

import os
from pathlib import Path

from sessions.session1.reader import UnreadableSource, check_source


def check_xlsx(path: str | os.PathLike) -> Path:
    # TODO(corrupt_excel): path = check_source(path). Read the first 4 bytes:
    # not b"PK\x03\x04" -> raise UnreadableSource("<path> is not an .xlsx file:
    # it starts with ..."). Open it with zipfile.ZipFile and testzip(): a
    # BadZipFile/EOFError/zlib.error, or a part testzip() names ->
    # UnreadableSource("<path> is a damaged .xlsx (...): probably truncated
    # ..."). No "xl/workbook.xml" among its names -> UnreadableSource("<path>
    # is a zip archive but not an .xlsx: no xl/workbook.xml ..."). Every
    # message ends with what to do: "re-download or re-export it". Return the
    # absolute path.
    raise NotImplementedError("TODO(corrupt_excel): write check_xlsx")
