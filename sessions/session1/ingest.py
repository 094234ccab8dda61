"""Session 1: the ingestion pipeline, file → checked → cleaned → bronze.

    python -m sessions.session1.ingest PATH [PATH ...] [--engine calamine|openpyxl]
                                       [--replace SOURCE ...] [--allow-shrink]
    python -m sessions.session1.ingest --history [N]

Prints rows read, loaded and rejected by reason, and the time, per file, then
the run's rows of bronze.load_log. A run is all or none: its files load in one
transaction, and any error or refusal commits nothing. Exits non-zero with a
one-line cause when a file, a guard or the database says no.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import pandas as pd
import psycopg2

from sessions.session1 import cleaning, config, guards, load, loadlog, loadrun, reader
from sessions.session1.report import IngestReport, build

LARGE = loadrun.LARGE  # rows from which the CLI reports progress
__all__ = ["IngestReport", "ingest_frame", "ingest_file", "main", "one_line"]


def ingest_frame(conn, frame: pd.DataFrame, source_file: str,
                 progress: Callable[[str], None] | None = None) -> IngestReport:
    """Validate, clean and load one source's rows; re-running replaces that source's rows.

    The building block sessions 2 and 3 use, with keys they choose (one per day,
    per batch): no guards and no load log here; a file goes through ingest_file.
    """
    start = time.perf_counter()
    note = progress or (lambda _: None)
    cleaned = cleaning.clean(frame)
    note(f"cleaned {len(frame):,} rows: {len(cleaned.good):,} good, {len(cleaned.rejected):,} rejected")
    copied = load.replace_source(conn, source_file, cleaned.good, cleaned.rejected,
                                 (lambda share: note(f"loading {share:.0%}")) if progress else None)
    return build(source_file, frame, cleaned.good, cleaned.rejected, copied, time.perf_counter() - start)


def ingest_file(conn, path, *, engine: str = "calamine", progress: Callable[[str], None] | None = None,
                replace=(), allow_shrink: bool = False) -> IngestReport:
    """Read a file and ingest it under its file name, guarded and logged, as a run of one file."""
    return loadrun.Run(conn, engine=engine, replace=replace, allow_shrink=allow_shrink,
                       progress=progress).execute([path])[0]


def one_line(text: str) -> str:
    """Whitespace runs as one space, other control characters escaped (\\x1b, not an escape sequence)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(str(text).split()))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sessions.session1.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", metavar="PATH", help=".xlsx, .csv or .csv.xz/.gz/.bz2 files")
    parser.add_argument("--engine", choices=["calamine", "openpyxl"], default="calamine", help="xlsx reader")
    parser.add_argument("--replace", action="append", default=[], metavar="SOURCE",
                        help="replace this loaded source on purpose: delete its rows in the same transaction "
                             "(another name whose sales these files hold, or this name from another path)")
    parser.add_argument("--allow-shrink", action="store_true",
                        help="accept a re-load that leaves a file with less than half its rows")
    parser.add_argument("--history", nargs="?", type=int, const=20, metavar="N",
                        help="show the last N loads (default 20) of bronze.load_log and exit")
    args = parser.parse_args(argv)
    if not args.paths and args.history is None:
        parser.error("give at least one PATH, or --history")
    return args


def print_log(conn, run: loadrun.Run) -> None:
    """This run's rows of bronze.load_log, one line each."""
    try:
        rows = loadlog.last(conn, len(run.logged), run.logged)
    except psycopg2.Error:  # the connection is what failed: the error line says so
        return
    for line in loadlog.render(rows):
        print(f"log {one_line(line)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    say = lambda text: print(f"  … {one_line(text)}", file=sys.stderr, flush=True)
    run = None
    try:
        for path in args.paths:  # check every input before connecting: fail fast, not after file 3 of 4
            reader.check_readable(path)
        settings = config.load_config_or_local()  # no DB_* at all: the local server (started if need be)
        conn = config.connect_with_retry(settings)
        try:
            load.create_schema(conn)
            if args.history is not None:
                print("\n".join(map(one_line, loadlog.render(loadlog.last(conn, args.history)))) or "no loads yet")
                return 0
            run = loadrun.Run(conn, engine=args.engine, replace=args.replace, allow_shrink=args.allow_shrink,
                              progress=say)
            try:
                reports = run.execute(args.paths)
            except BaseException:
                print_log(conn, run)  # the refused or failed attempt is logged too: show it
                raise
            for report in reports:
                extra = [f"extra columns ignored: {', '.join(report.extra_columns)}"] if report.extra_columns else []
                for warning in extra + report.warnings:
                    print(f"warning: {one_line(report.source_file)}: {one_line(warning)}", file=sys.stderr)
                print(one_line(report.summary()), flush=True)
            print_log(conn, run)
        finally:
            conn.close()
    except (reader.IngestError, config.ConfigError, guards.LoadRefused, psycopg2.Error) as err:
        committed = "; nothing was committed" if run is not None else ""
        print(f"error: {type(err).__name__}: {one_line(err)}{committed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
