"""Session 1, step 1: find the input file, check its format, read it as it is.

Reading does not interpret values: a CSV is read as text (every cell a string,
empty cells ""), so a bad value is found by validation later instead of crashing
or being silently guessed here. The CSV shapes real exports come in (UTF-8,
UTF-8 with BOM, Latin-1; compressed or not) are detected, not assumed.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from sessions.session1 import dialects

XLSX_SHEET = "Online Retail"  # the UCI original's sheet name; else the first sheet
OPENERS = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}
ZIP_MAGIC = b"PK\x03\x04"


class IngestError(Exception):
    """A problem with the input that the person running the job must fix."""


class SourceFileMissing(IngestError, FileNotFoundError):
    """The input path does not name an existing file."""


class UnreadableSource(IngestError, ValueError):
    """The file exists but is not a readable CSV or .xlsx."""


def check_source(path: str | os.PathLike) -> Path:
    """Return the input as an absolute path, or fail before any work is done.

    A bare ``[Errno 2]`` names only the path as given; the reader of the log also
    needs where a relative path was resolved from and what to do next.
    """
    given = Path(path)
    resolved = given.expanduser().resolve()
    if not resolved.is_file():
        what = "is a directory, not a file" if resolved.is_dir() else "does not exist"
        raise SourceFileMissing(
            f"input file {resolved} {what} (given as '{given}', working directory {Path.cwd()}); "
            "check the path, or make a sample with: python -m failurelab.sampledata online_retail.csv")
    return resolved


def check_readable(path: str | os.PathLike) -> Path:
    """Exists, is a supported kind, and can be opened: everything the CLI checks before it connects.

    Only opening a file proves it readable (permissions, ACLs, a mount gone
    away); a raw PermissionError would be a traceback, this is one line.
    """
    resolved = check_source(path)
    source_kind(resolved)
    try:
        with open(resolved, "rb") as f:
            f.read(1)
    except OSError as err:
        raise UnreadableSource(f"{resolved} cannot be read ({err.strerror}); give the user running the job read "
                               "permission on it (e.g. chmod a+r) or copy it somewhere readable") from err
    return resolved


def check_xlsx(path: str | os.PathLike) -> Path:
    """An .xlsx is a zip archive: check that before any Excel engine sees it.

    Each engine fails on a bad file in its own words (openpyxl: BadZipFile,
    calamine: CalamineError "Cannot detect file format"); this gives one
    engine-independent error that names the file and what to do.
    """
    path = check_source(path)
    with open(path, "rb") as f:
        head = f.read(4)
    if head != ZIP_MAGIC:
        what = "is empty" if not head else f"starts with {head!r}, not the zip signature PK\\x03\\x04"
        raise UnreadableSource(f"{path} is not an .xlsx file: it {what} (a text file renamed, or an "
                               "error page saved instead of the download); re-download or re-export it")
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as err:  # zlib: a part's bytes are damaged
        raise UnreadableSource(f"{path} is a damaged .xlsx ({err}): probably truncated or corrupted by an "
                               "interrupted download or copy; re-download or re-export it") from err
    if broken:
        raise UnreadableSource(f"{path} is a damaged .xlsx (its part {broken} does not match its checksum): "
                               "corrupted in a download or copy; re-download or re-export it")
    if "xl/workbook.xml" not in names:
        raise UnreadableSource(f"{path} is a zip archive but not an .xlsx: no xl/workbook.xml in it (another "
                               "document or a zipped file renamed .xlsx?); re-export it as an Excel workbook")
    return path


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), else Latin-1."""
    if b"\x00" in raw[:65536]:
        raise UnreadableSource(f"{path} is not a text CSV (it contains NUL bytes: a binary file, "
                               "UTF-16 export or a spreadsheet renamed to .csv); export it as CSV UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"  # every byte is a Latin-1 character: the last resort


def read_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Every cell as text ("" when empty); .csv, .csv.xz, .csv.gz, .csv.bz2."""
    path = check_source(path)
    with OPENERS.get(path.suffix.lower(), open)(path, "rb") as f:
        raw = f.read()
    text, encoding = _decode(raw, path)
    header = text.split("\n", 1)[0]
    if "," not in header and any(sep in header for sep in ";\t"):
        raise UnreadableSource(f"{path} is not comma-separated (its header is {header[:60]!r}): a European or "
                               "tab-separated export; export it as CSV with commas")
    if not text.endswith("\n") and text[text.rfind("\n") + 1:].count('"') % 2:
        text += '"'  # cut inside a quoted field: close it, so the stump is the last row (guards.cut_last_line)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise UnreadableSource(f"{path} is not a readable CSV ({encoding}): {err}") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs.update(encoding=encoding, sha256=hashlib.sha256(raw).hexdigest())  # of the content, decompressed
    return frame


def read_xlsx(path: str | os.PathLike, engine: str = "calamine") -> pd.DataFrame:
    """The workbook's data, values as the cells hold them (no type guessing).

    Every sheet whose header is a known dialect, one after the other (Online
    Retail II has two: "Year 2009-2010" and "Year 2010-2011"); a workbook with
    none is read from its "Online Retail" or first sheet, so the header check
    names what is missing.
    """
    path = check_xlsx(path)
    try:
        with pd.ExcelFile(path, engine=engine) as book:
            sheets = {name: pd.read_excel(book, sheet_name=name, dtype=object) for name in book.sheet_names}
    except Exception as err:  # each engine has its own error classes; name the file and the engine
        raise UnreadableSource(f"{path} could not be read as .xlsx by {engine}: {type(err).__name__}: {err}") from err
    for frame in sheets.values():
        frame.columns = [str(c).strip() for c in frame.columns]
    found = {name: dialects.detect(frame.columns) for name, frame in sheets.items()}
    data = [name for name, dialect in found.items() if dialect and dialect == next(filter(None, found.values()))]
    if not data:
        data = [XLSX_SHEET if XLSX_SHEET in sheets else next(iter(sheets))]
    frame = sheets[data[0]] if len(data) == 1 else pd.concat([sheets[n] for n in data], ignore_index=True)
    frame.attrs.update(sheets=data, sheet_rows=[len(sheets[n]) for n in data],
                       sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    return frame


def source_kind(path: str | os.PathLike) -> str:
    """'xlsx' or 'csv' by the file's extension; anything else is refused clearly."""
    path = check_source(path)
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes[-1:] == [".xlsx"]:
        return "xlsx"
    if ".csv" in suffixes:
        return "csv"
    raise UnreadableSource(f"{path}: unsupported file type '{''.join(path.suffixes) or 'none'}'; "
                           "expected .xlsx, .csv or a compressed .csv (.csv.xz, .csv.gz, .csv.bz2)")


def read_source(path: str | os.PathLike, *, engine: str = "calamine") -> pd.DataFrame:
    """Read an input file by its extension, every value as the file holds it."""
    return read_xlsx(path, engine) if source_kind(path) == "xlsx" else read_csv(path)
