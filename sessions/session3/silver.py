"""Session 3: silver (session 2) brought up to date once per run, after the batches.

Session 2's transform rebuilds silver from ALL of bronze, so running it after
every daily batch costs (batches x a full rebuild); see the benchmark. Once per
run, after the last batch, gives the same silver. Its own checkpoint,
``pipeline.silver_state``, records which batch checkpoints silver was built
from; a run that loaded nothing new (and finds the fact's rows still there)
skips the rebuild. A crash mid-transform leaves that record old, so the next
run rebuilds: the transform is idempotent.
"""
from __future__ import annotations

import hashlib
import logging

from sessions.session2 import transform
from sessions.session3 import hooks

log = logging.getLogger("session3.silver")


def fingerprint(conn) -> tuple[str, int]:
    """(sha256 over every day checkpoint and the bronze row count, bronze rows)."""
    with conn.cursor() as cur:
        cur.execute("SELECT batch_id, source_sha256 FROM pipeline.checkpoints WHERE batch_id LIKE 'day:%' "
                    "ORDER BY batch_id")
        batches = cur.fetchall()
        cur.execute("SELECT count(*) FROM bronze.raw_transactions")
        rows = cur.fetchone()[0]
        digest = hashlib.sha256("\n".join([f"bronze:{rows}", *(f"{b}:{s}" for b, s in batches)]).encode()).hexdigest()
    conn.rollback()
    return digest, rows


def up_to_date(conn, digest: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT built_from, fact_rows FROM pipeline.silver_state")
        state = cur.fetchone()
        cur.execute("SELECT to_regclass('silver.fact_sales_daily') IS NOT NULL")
        if state is None or not cur.fetchone()[0]:
            conn.rollback()
            return False
        cur.execute("SELECT count(*) FROM silver.fact_sales_daily")
        fact_rows = cur.fetchone()[0]
    conn.rollback()
    if state[0] == digest and state[1] != fact_rows:
        log.warning(f"stale silver checkpoint: it says {state[1]} fact rows, the table has {fact_rows}; rebuilding",
                    extra={"event": "checkpoint_stale", "batch_id": "silver"})
    return state[0] == digest and state[1] == fact_rows


def build(conn, force: bool = False) -> bool:
    """Rebuild silver unless it is already built from exactly these batches; True if rebuilt."""
    digest, bronze_rows = fingerprint(conn)
    if bronze_rows == 0 or (not force and up_to_date(conn, digest)):
        return False
    hooks.reached("silver:before")
    hooks.phase = "silver"  # its commits between SQL files are kill points too
    try:
        report = transform.run(conn)
    finally:
        hooks.phase = ""
    hooks.reached("silver:built")
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO pipeline.silver_state (built_from, fact_rows) VALUES (%s, %s)
                       ON CONFLICT (singleton) DO UPDATE SET built_from = excluded.built_from,
                           fact_rows = excluded.fact_rows, built_at = now()""", (digest, report.fact_rows))
    conn.commit()
    log.info("silver rebuilt", extra={"event": "silver_built", "batch_id": "silver", "loaded": report.fact_rows,
                                      "seconds": round(report.seconds, 3)})
    return True
