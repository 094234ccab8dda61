"""Attempts at truncated_file (spoilers): what students hand in, and the verdict due."""
import bz2
import gzip
import lzma
from pathlib import Path

import pandas as pd

from failurelab.attempts import right, wrong

OPEN = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}


@wrong("reads the compressed file's own last byte: every intact .csv.xz/.gz/.bz2 looks cut",
       caught_by="compressed_files_are_judged_by_their_text")
class ReadsTheCompressedBytes:
    def cut_last_line(path):
        data = Path(path).read_bytes()
        return len(data) > 0 and not data.endswith(b"\n")


@wrong("`not data.endswith(b'\\n')` alone: an empty file counts as cut", caught_by="the_empty_file")
class EmptyFileIsCut:
    def cut_last_line(path):
        path = Path(path)
        with OPEN.get(path.suffix.lower(), open)(path, "rb") as f:
            return not f.read().endswith(b"\n")


@wrong("counts the last line's fields: a row cut inside its last field still has all 8",
       caught_by="a_cut_csv_is_found")
class CountsTheLastRowsFields:
    def cut_last_line(path):
        path = Path(path)
        with OPEN.get(path.suffix.lower(), open)(path, "rb") as f:
            lines = f.read().splitlines()
        if len(lines) < 2:
            return False
        return lines[-1].count(b",") < lines[0].count(b",")


@wrong("looks for an empty cell in the last row read by pandas: Country 'United' is not empty",
       caught_by="a_cut_csv_is_found")
class LooksForEmptyCells:
    def cut_last_line(path):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except pd.errors.ParserError:
            return True
        except pd.errors.EmptyDataError:
            return False
        return len(frame) > 0 and (frame.iloc[-1] == "").any()


@wrong("text mode with the default UTF-8: a Latin-1 export raises UnicodeDecodeError",
       caught_by="encodings_and_the_empty_file")
class DecodesAsUtf8:
    def cut_last_line(path):
        path = Path(path)
        opener = OPEN.get(path.suffix.lower())
        with (opener(path, "rt", encoding="utf-8") if opener else open(path, encoding="utf-8")) as f:
            text = f.read()
        return text != "" and not text.endswith("\n")


@wrong("decompresses .xz only: a .csv.gz or .csv.bz2 is judged by its compressed bytes",
       caught_by="compressed_files_are_judged_by_their_text")
class OnlyXz:
    def cut_last_line(path):
        path = Path(path)
        with (lzma.open(path) if path.suffix.lower() == ".xz" else open(path, "rb")) as f:
            data = f.read()
        return data != b"" and data[-1:] != b"\n"


@wrong("compares the extension case-sensitively: EXPORT.CSV.GZ is read as compressed bytes",
       caught_by="compressed_files_are_judged_by_their_text")
class ExtensionCaseSensitive:
    def cut_last_line(path):
        path = Path(path)
        with OPEN.get(path.suffix, open)(path, "rb") as f:
            data = f.read()
        return data != b"" and data[-1:] != b"\n"


@wrong("readlines()[-1] on an empty file: IndexError", caught_by="encodings_and_the_empty_file")
class LastOfReadlines:
    def cut_last_line(path):
        path = Path(path)
        with OPEN.get(path.suffix.lower(), open)(path, "rb") as f:
            return not f.readlines()[-1].endswith(b"\n")


@right("reads it all (45 MB in memory for the real file), with a chain of ifs on str(path).lower()")
class ReadsItAll:
    def cut_last_line(path):
        name = str(path).lower()
        if name.endswith(".xz"):
            data = lzma.decompress(Path(path).read_bytes())
        elif name.endswith(".gz"):
            data = gzip.decompress(Path(path).read_bytes())
        elif name.endswith(".bz2"):
            data = bz2.decompress(Path(path).read_bytes())
        else:
            data = Path(path).read_bytes()
        return bool(data) and data[-1] != ord("\n")


@right("text mode as Latin-1 (every byte decodes) with newline='', line by line, keeping the last line")
class LastLineAsLatin1:
    def cut_last_line(path):
        path = Path(path)
        opener = OPEN.get(path.suffix.lower())
        f = opener(path, "rt", encoding="latin-1", newline="") if opener else open(path, encoding="latin-1",
                                                                                     newline="")
        last = ""
        with f:
            for last in f:
                pass
        return last != "" and not last.endswith("\n")
