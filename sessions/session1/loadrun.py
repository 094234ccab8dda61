"""Session 1: one run of the ingest: every file guarded, all loaded in ONE transaction, logged.

All or none: the files of a run are read and cleaned first, then loaded in one
transaction that commits at the end. Any error or refusal rolls all of them
back (nothing committed), and the attempt is still logged in bronze.load_log,
after the rollback in a transaction of its own, so ``--history`` shows it.

A file's name is the key its rows are replaced by; the guards check what the
name cannot tell, before anything is deleted (all raise guards.LoadRefused):
the same content under another name (content sha256, from the log), the same
name from another path, invoices another source holds, a re-load to under half
the rows. ``--replace OTHER`` deletes OTHER's rows in the same transaction.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg2

from sessions.session1 import cleaning, dialects, guards, load, loadlog, reader, report

LARGE = 100_000  # rows from which progress is reported


@dataclass
class Staged:
    path: Path
    frame: pd.DataFrame
    cleaned: cleaning.Cleaned
    entry: loadlog.Entry
    clock: float
    warnings: list[str]


def delete_source(cur, name: str) -> tuple[int, int]:
    """Delete a source's rows and quarantine entries; (rows, rejected rows) deleted."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))  # as load.replace_source: one load per name
    cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (name,))
    rows = cur.rowcount
    cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (name,))
    return rows, cur.rowcount


class Run:
    def __init__(self, conn, *, engine: str = "calamine", replace: Iterable[str] = (), allow_shrink: bool = False,
                 progress: Callable[[str], None] | None = None):
        self.conn, self.engine, self.allow_shrink = conn, engine, allow_shrink
        self.replace, self.note = set(replace), progress or (lambda _: None)
        self.entries: list[loadlog.Entry] = []  # this run's log rows
        self.logged: list[int] = []  # their load_ids, once written
        self.at: loadlog.Entry | None = None  # the file being worked on: the one to blame if an error comes

    def stage(self, path) -> Staged:
        """Read and clean one file (no database work yet)."""
        clock = time.perf_counter()
        entry = self.at = loadlog.Entry(Path(path).name, started_at=loadlog.now())
        self.entries.append(entry)
        path = reader.check_readable(path)
        entry.source_path, entry.size_bytes = str(path), path.stat().st_size
        frame = reader.read_source(path, engine=self.engine)
        self.note(f"read {len(frame):,} rows from {path.name} in {time.perf_counter() - clock:.2f} s")
        entry.sha256, entry.rows_read = frame.attrs.get("sha256"), len(frame)
        entry.dialect = dialects.detect(frame.columns)
        cut = reader.source_kind(path) == "csv" and guards.cut_last_line(path)
        cleaned = cleaning.clean(frame)
        if cut:  # the file was cut mid-row: its last row is never loaded as if it were whole
            cleaned = cleaning.reject_last_row(cleaned, frame)
        repeated, notes = dialects.repeated_in_earlier_sheets(frame)  # sheets that overlap in time: count once
        cleaned = cleaning.reject_lines(cleaned, frame, repeated, "repeated_in_earlier_sheet")
        if len(frame) >= LARGE:
            self.note(f"cleaned {len(frame):,} rows: {len(cleaned.good):,} good, {len(cleaned.rejected):,} rejected")
        return Staged(path, frame, cleaned, entry, clock, notes)

    def check_content(self, cur, s: Staged) -> None:
        """The same content already loaded under another name, or another file already loaded under this one."""
        name, sha, path = s.entry.source_file, s.entry.sha256, s.entry.source_path
        loaded = {n: (sha_, path_) for n, (outcome, sha_, path_) in loadlog.current(cur).items() if outcome == "loaded"}
        loaded.update({e.source_file: (e.sha256, e.source_path) for e in self.entries if e.outcome == "loaded"})
        same = sorted(n for n, (sha_, _) in loaded.items() if sha_ == sha and n != name and n not in self.replace)
        if same:
            raise guards.LoadRefused(
                f"{name} has the same content (sha256 {sha[:12]}) as {', '.join(same)}, already loaded: its sales "
                f"would count twice; if {name} supersedes it, load it with "
                + " ".join(f"--replace {n}" for n in same))
        before = loaded.get(name, (None, path))[1]
        if before != path and name not in self.replace:
            raise guards.LoadRefused(
                f"{name} was loaded from {before}, and this {name} is {path}: two files of one name would replace "
                f"each other's rows; if this one supersedes it, load it with --replace {name} (or rename it)")

    def apply(self, cur, s: Staged) -> report.IngestReport:
        """Guard and load one staged file inside the run's transaction."""
        name, good, rejected = s.entry.source_file, s.cleaned.good, s.cleaned.rejected
        self.at = s.entry
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
        self.check_content(cur, s)
        guards.check_overlap(cur, name, good["invoice_no"].unique(), self.replace)
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (name,))
        guards.check_shrink(name, cur.fetchone()[0], len(good), self.allow_shrink)
        delete_source(cur, name)
        share = (lambda x: self.note(f"loading {x:.0%}")) if len(s.frame) >= LARGE else None
        loaded = load.copy_frame(cur, good.assign(source_file=name), "bronze.raw_transactions", load.RAW_COLUMNS,
                                 share)
        load.copy_frame(cur, rejected.assign(source_file=name), "bronze.rejected_rows", load.REJECTED_COLUMNS)
        out = report.build(name, s.frame, good, rejected, loaded, time.perf_counter() - s.clock)
        out.warnings = s.warnings
        s.entry.rows_loaded, s.entry.rows_rejected = loaded, len(rejected)
        s.entry.outcome, s.entry.finished_at = "loaded", loadlog.now()
        return out

    def replace_others(self, cur, own: set[str]) -> None:
        """Delete the sources named by --replace (other than this run's own files), logged as replaced."""
        for other in sorted(self.replace - own):
            rows, rejected = delete_source(cur, other)
            if rows + rejected == 0:
                raise guards.LoadRefused(f"--replace {other}: no rows are loaded under that name, so there is "
                                         "nothing to replace; check the name with --history")
            self.entries.append(loadlog.Entry(other, outcome="replaced", rows_loaded=0, detail=(
                f"{rows:,} rows and {rejected:,} rejected rows deleted by --replace, replaced by "
                f"{', '.join(sorted(own))}")))

    def execute(self, paths: list) -> list[report.IngestReport]:
        """Stage every file, load them all in one transaction, log; on any error roll back, log, re-raise."""
        try:
            staged = [self.stage(path) for path in paths]
            self.at = None
            with self.conn.cursor() as cur:
                self.replace_others(cur, {s.entry.source_file for s in staged})
                reports = [self.apply(cur, s) for s in staged]
                self.logged = loadlog.write(cur, self.entries)
            self.conn.commit()
            return reports
        except BaseException as err:
            self.rollback()
            self.log_failure(err)
            raise

    def rollback(self) -> None:
        try:
            self.conn.rollback()
        except psycopg2.Error:  # a connection that is gone has nothing to roll back; the first error is the story
            pass

    def log_failure(self, err: BaseException) -> None:
        """Log the failed run after its rollback: the file that failed, and the others rolled back with it."""
        failed, why = self.at, " ".join(f"{type(err).__name__}: {err}".split())
        self.entries = [e for e in self.entries if e.outcome != "replaced"]  # rolled back: nothing was replaced
        for e in self.entries:  # their rows were rolled back: none of them is in bronze
            e.outcome, e.finished_at, e.rows_loaded, e.rows_rejected = "rolled_back", loadlog.now(), 0, 0
            e.detail = f"run failed at {failed.source_file}" if failed else f"run failed: {why}"
            e.detail += ", nothing committed"
        if failed:
            failed.outcome = "refused" if isinstance(err, guards.LoadRefused) else "failed"
            failed.detail = why
        try:
            with self.conn.cursor() as cur:
                self.logged = loadlog.write(cur, self.entries)
            self.conn.commit()
        except psycopg2.Error:  # the connection itself may be what failed: the error above is what matters
            self.rollback()
