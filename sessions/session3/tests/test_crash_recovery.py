"""Crash safety for real: SIGKILL the pipeline at seeded-random points, resume, compare.

The pipeline runs as the CLI in a subprocess. ``SESSION3_PAUSE_AT=<point>:<n>``
makes it print ``PAUSED …`` and wait at a named point (mid batch write, before
the commit, between session 2's transactions …); the test then kills it with
SIGKILL, which no code can intercept. After every kill the next run resumes
from what the database holds. At the end bronze, silver, the checkpoints and the
dead letters must equal a clean, uninterrupted run's, row for row.
"""
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from failurelab import sampledata
from sessions.session3 import pipeline
from sessions.session3.batches import checkpoint_status
from sessions.session3.sample import few_days
from sessions.session3.snapshot import reset, snapshot

ROOT = Path(__file__).resolve().parents[3]
SEED = int(os.environ.get("SESSION3_CRASH_SEED", "20101201"))
KILLS = 6  # the first mid batch write, then random batch points, the last while silver is built
DAYS = 8


def start(source: Path, env: dict, pause_at: str | None) -> subprocess.Popen:
    env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    env.pop("SESSION3_PAUSE_AT", None)
    if pause_at:
        env["SESSION3_PAUSE_AT"] = pause_at
    return subprocess.Popen([sys.executable, "-m", "sessions.session3.pipeline", str(source), "--lock-wait", "10"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_and_kill(source: Path, env: dict, pause_at: str) -> str:
    """Start a run, wait until it pauses at ``pause_at``, SIGKILL it; return what happened."""
    proc = start(source, env, pause_at)
    for line in proc.stdout:
        if line.startswith("PAUSED "):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    err = proc.stderr.read()
    proc.stdout.close(), proc.stderr.close()
    if proc.returncode == -signal.SIGKILL:
        return "killed"
    assert proc.returncode == 0, err  # not reached: the run finished normally
    return "finished"


def exists(conn, table: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        found = cur.fetchone()[0]
    conn.rollback()
    return found


def plan(conn, rng: random.Random, days: int, last: bool) -> str:
    """A pause point this run will reach, given what is already done."""
    remaining = days
    if exists(conn, "pipeline.checkpoints"):
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pipeline.checkpoints WHERE batch_id LIKE 'day:%'")
            remaining -= cur.fetchone()[0]
        conn.rollback()
    batch_points = ["batch:ingested", "batch:checkpointed", "batch:committed", "commit"]
    point = rng.choice(batch_points if remaining and not last else ["silver:before", "silver:commit", "silver:built"])
    n = rng.randint(1, min(remaining, 3)) if point.startswith("batch") else rng.randint(1, 6) if point == "commit" \
        else rng.randint(1, 3) if point == "silver:commit" else 1
    return f"{point}:{n}"


def test_sigkill_at_random_points_then_resume_equals_a_clean_run(db, settings, tmp_path):
    source = sampledata.write_csv(few_days(rows=320, days=DAYS), tmp_path / "days.csv")
    conn = db.connect()
    try:
        pipeline.run(settings, source)  # the clean run, in-process, from the same file
        clean = snapshot(conn)
        assert len(clean["pipeline.checkpoints"]) == DAYS and clean["bronze.rejected_rows"]
        assert clean["silver.dim_product"] and clean["pipeline.silver_state"]
        reset(conn)

        rng, kills = random.Random(SEED), []
        # The first pause is always mid batch write: rows in bronze, transaction not committed.
        first = "batch:ingested:2"
        while len(kills) < KILLS:
            point = first if not kills else plan(conn, rng, DAYS, last=len(kills) == KILLS - 1)
            outcome = run_and_kill(source, db.env(), point)
            assert outcome == "killed", f"the run did not reach {point} (seed {SEED})"
            kills.append(point)
            # a kill never leaves half a batch: every checkpoint matches the rows it describes
            if exists(conn, "pipeline.checkpoints"):
                assert all(list(s[1:4]) == list(s[4:]) for s in checkpoint_status(conn).values()), point
        print(f"killed at {kills} (seed {SEED})")
        assert run_and_kill(source, db.env(), "never:1") == "finished", "the final resume must complete"
        assert snapshot(conn) == clean, f"state after kills at {kills} (seed {SEED}) differs from a clean run"
    finally:
        conn.close()
