"""Your fix for truncated_file: tell a file cut mid-row from a whole one.

Run: pytest --student sessions/session1 -k truncated_file -s

cut_last_line(path) gets the input file's path (a str or a pathlib.Path) and
returns a bool: True when the file was cut mid-row, i.e. its content is NOT
empty and does NOT end in a newline byte (b"\\n"; a Windows "\\r\\n" ends in
one too). False for a whole file, and False for an empty one (nothing was
cut from it).

* "Its content" is the text the reader reads: for a compressed CSV, chosen by
  the extension in any letter case (.xz or .XZ: lzma.open; .gz: gzip.open;
  .bz2: bz2.open), the decompressed bytes, not the compressed file's own
  last byte. Any other file (.csv): its bytes as they are.
* Exports come in UTF-8, UTF-8 with BOM and Latin-1 (a £ sign as the single
  byte 0xA3): whatever the encoding, do not fail; reading bytes ("rb") needs
  no decoding at all.
* Only the last byte matters. Reading the whole file is accepted (the real
  one is 45 MB decompressed); seeking to the end of a plain file, or reading
  a compressed one in chunks and keeping the last, spares the memory.

The pipeline calls it before trusting a CSV's last row; when it says True,
that row goes to bronze.rejected_rows with the reason truncated_last_line.
"""
from __future__ import annotations

import os


def cut_last_line(path: str | os.PathLike) -> bool:
    # TODO(truncated_file): open the file by its extension (lzma/gzip/bz2.open
    # for .xz/.gz/.bz2, any letter case; open otherwise), in "rb"; return True
    # when the content is not empty and its last byte is not b"\n".
    raise NotImplementedError("TODO(truncated_file): write cut_last_line")
