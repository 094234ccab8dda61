"""Session 3: the reliable pipeline — sessions 1 and 2 over daily batches, safe to kill and re-run.

    python -m sessions.session3.pipeline SOURCE [--lock-wait S] [--attempts N] [--silver-every N]

Reads DB_* like session 1. One run at a time (advisory lock); each day is one
batch, loaded with its dead letters and checkpoint in one transaction, with
retries for transient errors; a verified checkpoint skips the day; silver is
rebuilt once after the batches. Progress and a summary on stdout, JSON logs on
stderr. Exit codes: 0 done, 1 failed, 2 bad settings or input, 3 another run active.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg2
import psycopg2.extensions

from sessions.session1 import config, reader
from sessions.session3 import db, lock, logs, silver
from sessions.session3.batches import Batch, BatchResult, checkpoint_status, is_done, load_batch, split_days
from sessions.session3.lock import AlreadyRunning, LockLost, assert_held, pipeline_lock
from sessions.session3.retry import RetryExhausted, RetryPolicy, call_with_retry

log = logging.getLogger("session3.pipeline")


@dataclass
class RunSummary:
    run_id: str
    batches: int = 0
    loaded: list[BatchResult] = field(default_factory=list)
    skipped: int = 0
    silver_built: bool = False
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(r, k) for r in self.loaded) for k in ("rows_in", "loaded", "rejected", "dead_lettered")}

    def text(self) -> str:
        t = self.totals()
        return (f"run {self.run_id}: {self.batches} batches, {len(self.loaded)} loaded, {self.skipped} skipped "
                f"(checkpoint verified); rows in {t['rows_in']:,} = loaded {t['loaded']:,} + rejected "
                f"{t['rejected']:,} + dead-lettered {t['dead_lettered']:,}; silver "
                f"{'rebuilt' if self.silver_built else 'up to date'}; {self.seconds:.2f} s")


class Worker:
    """The work connection: made again after a transient error closed it (the lock has its own)."""

    def __init__(self, settings):
        self.settings, self.conn = settings, None

    def get(self):
        if self.conn is None or self.conn.closed:
            self.conn = db.connect(self.settings)
        elif self.conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR:
            self.conn.rollback()  # a failed attempt left an aborted transaction: the next one starts clean
        return self.conn

    def close(self):
        if self.conn is not None and not self.conn.closed:
            self.conn.close()


def run_batches(settings, batches: list[Batch], **options) -> RunSummary:
    """Load every batch not yet done (checkpoint verified), then bring silver up to date."""
    return _locked_run(settings, lambda: batches, **options)


def _locked_run(settings, get_batches: Callable[[], list[Batch]], *, policy: RetryPolicy = RetryPolicy(),
                lock_wait_s: float = 0.0, silver_every: int = 0, progress=lambda line: None) -> RunSummary:
    """Take the lock, THEN get the batches (reading a file takes seconds) and run them."""
    summary, started = RunSummary(uuid.uuid4().hex[:8]), time.perf_counter()
    token = logs.RUN_ID.set(summary.run_id)  # on every log line of this run
    try:
        lock_conn = call_with_retry(lambda: lock.connect(settings), policy=policy, what="connect")
        worker = Worker(settings)
        try:
            with pipeline_lock(lock_conn, wait_s=lock_wait_s):
                batches = get_batches()  # only now: a second run must not spend seconds reading, then exit
                summary.batches = len(batches)
                call_with_retry(lambda: db.create_schema(worker.get()), policy=policy, what="create schema")
                status = checkpoint_status(worker.get())
                for n, batch in enumerate(batches, 1):
                    if is_done(status, batch):
                        summary.skipped += 1
                        progress(f"[{n:>3}/{len(batches)}] {batch.batch_id}  done already (checkpoint verified)")
                        continue
                    assert_held(lock_conn)  # never write without the lock (its connection may have died)
                    result = call_with_retry(lambda: load_batch(worker.get(), batch), policy=policy,
                                             what=batch.batch_id)
                    summary.loaded.append(result)
                    progress(f"[{n:>3}/{len(batches)}] {batch.batch_id}  in {result.rows_in:,}  loaded "
                             f"{result.loaded:,}  rejected {result.rejected:,}  dead {result.dead_lettered:,}  "
                             f"{result.seconds:.2f} s")
                    if silver_every and len(summary.loaded) % silver_every == 0:
                        summary.silver_built = silver.build(worker.get(), force=True)
                assert_held(lock_conn)
                rebuilt = call_with_retry(lambda: silver.build(worker.get()), policy=policy, what="silver")
                summary.silver_built = rebuilt or summary.silver_built  # --silver-every may have built it last
        finally:
            worker.close()
            lock_conn.close()
        summary.seconds = time.perf_counter() - started
        log.info("run finished", extra={"event": "run_finished", **summary.totals(),
                                        "seconds": round(summary.seconds, 3)})
    finally:
        logs.RUN_ID.reset(token)
    return summary


def run(settings, source, **options) -> RunSummary:
    """Read ``source`` (any file session 1 reads), split it into days, and run the batches.

    The cheap checks (the file is there, of a kind we read, readable) come first; the reading itself (3-4 s
    for the full data) only once the lock is held, so a second run exits in milliseconds.
    """
    path = reader.check_readable(source)
    return _locked_run(settings, lambda: split_days(reader.read_source(path)), **options)


def at_least(minimum: float, kind=int):
    """An argparse type refusing numbers below ``minimum`` (0 attempts would never even try): exit 2."""
    def parse(text: str):
        if (value := kind(text)) < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sessions.session3.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the input: .csv, .csv.xz or .xlsx (one batch per day of InvoiceDate)")
    parser.add_argument("--lock-wait", type=at_least(0, float), default=0.0, help="seconds to wait for another run")
    parser.add_argument("--attempts", type=at_least(1), default=5, help="tries per batch for transient errors")
    parser.add_argument("--silver-every", type=at_least(0), default=0,
                        help="also rebuild silver every N loaded batches (0: only once, after the last)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    args = parser.parse_args(argv)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        settings = config.load_config_or_local()  # no DB_* at all: the local server
        with logs.json_logs():
            summary = run(settings, args.source, policy=RetryPolicy(attempts=args.attempts),
                          lock_wait_s=args.lock_wait, silver_every=args.silver_every, progress=say)
    except AlreadyRunning as err:
        print(f"not started: {err}", file=sys.stderr)
        return 3
    except (config.ConfigError, reader.IngestError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (RetryExhausted, LockLost, psycopg2.Error) as err:
        # A permanent error was not retried on purpose: re-running alone would fail the same way.
        then = "re-run to resume" if isinstance(err, (RetryExhausted, LockLost)) else "not retried: fix it, then re-run"
        print(f"failed: {type(err).__name__}: {' '.join(str(err).split())}; {then} (finished batches are kept)",
              file=sys.stderr)
        return 1
    print(summary.text(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
