"""Session 1: the ingestion pipeline, file → checked → cleaned → bronze.

    python -m sessions.session1.ingest PATH [PATH ...] [--engine calamine|openpyxl]

Prints rows read, loaded and rejected by reason, and the time, per file; exits
non-zero with a one-line cause when a file or the database is not usable.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import psycopg2

from sessions.session1 import cleaning, config, load, reader

LARGE = 100_000  # rows from which the CLI reports progress


@dataclass
class IngestReport:
    source_file: str
    read: int
    loaded: int
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> rows
    cancellations: int = 0
    duplicates: int = 0
    seconds: float = 0.0

    @property
    def reconciles(self) -> bool:
        return self.read == self.loaded + sum(self.rejected.values())

    def summary(self) -> str:
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.rejected.items())) or "none"
        return (f"{self.source_file}: read {self.read:,}, loaded {self.loaded:,} (cancellations "
                f"{self.cancellations:,}, duplicates flagged {self.duplicates:,}), rejected "
                f"{sum(self.rejected.values()):,} ({reasons}) in {self.seconds:.2f} s")


def ingest_frame(conn, frame: pd.DataFrame, source_file: str,
                 progress: Callable[[str], None] | None = None) -> IngestReport:
    """Validate, clean and load one source's rows; re-running replaces that source's rows."""
    start = time.perf_counter()
    note = progress or (lambda _: None)
    cleaned = cleaning.clean(frame)
    note(f"cleaned {len(frame):,} rows: {len(cleaned.good):,} good, {len(cleaned.rejected):,} rejected")
    copied = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected,
                                 (lambda share: note(f"loading {share:.0%}")) if progress else None)
    report = IngestReport(source_file, len(frame), copied,
                          {str(r): int(n) for r, n in cleaned.rejected["reason"].value_counts().sort_index().items()},
                          int(cleaned.good["is_cancellation"].sum()), int(cleaned.good["is_duplicate"].sum()),
                          time.perf_counter() - start)
    if not report.reconciles:  # cannot happen unless a rule loses rows: refuse to pretend otherwise
        raise AssertionError(f"counts do not reconcile: {report.summary()}")
    return report


def ingest_file(conn, path, *, engine: str = "calamine",
                progress: Callable[[str], None] | None = None) -> IngestReport:
    """Read a file and ingest it under its file name (the idempotency key)."""
    start = time.perf_counter()
    path = reader.check_source(path)
    frame = reader.read_source(path, engine=engine)
    if progress:
        progress(f"read {len(frame):,} rows from {path.name} in {time.perf_counter() - start:.2f} s")
    report = ingest_frame(conn, frame, path.name, progress if len(frame) >= LARGE else None)
    report.seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sessions.session1.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", metavar="PATH", help=".xlsx, .csv or .csv.xz/.gz/.bz2 files")
    parser.add_argument("--engine", choices=["calamine", "openpyxl"], default="calamine", help="xlsx reader")
    args = parser.parse_args(argv)
    say = lambda text: print(f"  … {text}", file=sys.stderr, flush=True)
    try:
        settings = config.load_config()
        for path in args.paths:  # check every input before connecting: fail fast, not after file 3 of 4
            reader.source_kind(path)
        conn = config.connect_with_retry(settings)
        try:
            load.create_schema(conn)
            for path in args.paths:
                print(ingest_file(conn, path, engine=args.engine, progress=say).summary(), flush=True)
        finally:
            conn.close()
    except (reader.IngestError, config.ConfigError, psycopg2.Error) as err:
        cause = " ".join(str(err).split())  # one line, whatever the driver put in
        print(f"error: {type(err).__name__}: {cause}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
