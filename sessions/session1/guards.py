"""Session 1: the guards a load passes before it replaces anything.

Replacing a file's rows by its name makes a re-run safe, and blind: the same
sales under a second name load twice, an empty re-export wipes the file, and a
file cut mid-row loads its last row half-empty. Each guard looks at what the
name cannot tell, and refuses with one line that says what it found and which
option overrides it (``--replace OTHER``, ``--allow-shrink``).
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

OPENERS = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}  # the compressions the reader accepts
CHUNK = 1 << 20


class LoadRefused(Exception):
    """A guard refused a load. str() is ONE line: what was found, and the option that overrides it."""


def cut_last_line(path: str | os.PathLike) -> bool:
    """Was the file cut mid-row? True when its content (decompressed) is not empty and lacks a final newline.

    Every exporter ends its last row with a newline ("\\n" or "\\r\\n"); a copy,
    download or export stopped half-way ends wherever it stopped. Only the last
    byte matters: a plain file is read from its end, a compressed one streamed
    through (its own last byte belongs to the compression, not the text).
    """
    path = Path(path)
    opener = OPENERS.get(path.suffix.lower())
    if opener is None:
        with open(path, "rb") as f:
            if f.seek(0, os.SEEK_END) == 0:
                return False
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"
    last = b""
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):  # 1 MB at a time: the 45 MB text never in memory at once
            last = chunk[-1:]
    return last not in (b"", b"\n")


def overlapping_sources(cur, source_file: str, invoice_nos: Iterable) -> dict[str, int]:
    """{other source_file in bronze.raw_transactions: distinct invoice numbers it shares with these}.

    One statement whatever the number of invoices (25,900 in the real file):
    the numbers go to the server as one array, not one query each.
    """
    wanted = sorted({str(n) for n in invoice_nos if not pd.isna(n)})  # a missing number matches nothing
    cur.execute("SELECT source_file, count(DISTINCT invoice_no) FROM bronze.raw_transactions "
                "WHERE invoice_no = ANY(%s::text[]) AND source_file <> %s GROUP BY source_file ORDER BY source_file",
                (wanted, source_file))
    return {name: int(n) for name, n in cur.fetchall()}


def check_overlap(cur, source_file: str, invoice_nos: Iterable, replace: Iterable[str] = ()) -> None:
    """Refuse a file whose invoices another source already loaded, unless that source is being replaced."""
    replace = set(replace)
    found = {other: n for other, n in overlapping_sources(cur, source_file, invoice_nos).items()
             if other not in replace}
    if found:
        shared = ", ".join(f"{n:,} with {other}" for other, n in found.items())
        options = " ".join(f"--replace {other}" for other in found)
        raise LoadRefused(f"{source_file} shares invoices with sources already loaded ({shared}): the same sales "
                          f"under another name would count twice; if {source_file} supersedes them, load it with "
                          f"{options}")


def check_shrink(source_file: str, before: int, after: int, allow_shrink: bool = False) -> None:
    """Refuse a re-load that would leave fewer than half the rows the file had (an empty re-export, a lost part)."""
    if before > 0 and after * 2 < before and not allow_shrink:
        raise LoadRefused(f"{source_file} would go from {before:,} rows to {after:,} (less than half): an empty or "
                          "partial re-export? Check the file; if it really is smaller now, load it with "
                          "--allow-shrink")
