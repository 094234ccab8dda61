"""The reliable pipeline over the full real data: 305 daily batches, then a second run.

    python -m sessions.session3.benchmark [--rows N]   # N > 0: generated rows instead of the real file

Reads ../shared/data/online_retail_full.csv.xz (or $RETAIL_DATA_DIR), splits it
into one batch per day, and runs the pipeline into a database of its own (on the
DB_* server, else a throwaway one; failurelab.scratch). Prints:
the first run (every batch loaded, silver built once) and whether it
reconciles; a second run (every checkpoint verified, nothing written) and
whether the state is identical; and what silver after every batch would cost.
"""
from __future__ import annotations

import argparse
import time

from failurelab import sampledata
from failurelab.sampledata import FULL_DATA
from failurelab.scratch import scratch_database
from sessions.session1 import reader
from sessions.session1.config import Settings
from sessions.session2 import transform
from sessions.session3 import db, pipeline
from sessions.session3.snapshot import digest



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="use N generated rows instead of the real file")
    args = parser.parse_args()
    path = FULL_DATA
    start = time.perf_counter()
    if args.rows or not path.exists():
        frame, source = sampledata.generate(args.rows or 541_909), "generated"
    else:
        frame, source = reader.read_source(path), path.name
    batches = pipeline.split_days(frame)
    prep_s = time.perf_counter() - start
    print(f"input: {len(frame):,} rows from {source} -> {len(batches)} daily batches "
          f"({prep_s:.1f} s to read and split)")
    with scratch_database() as scratch:
        settings = Settings(scratch.host, scratch.port, scratch.dbname, scratch.user, scratch.password)
        tick = lambda line: print(line, flush=True) if line.startswith(("[  1/", "[ 50/", "[100/", "[200/", "[300/")) \
            else None
        first = pipeline.run_batches(settings, batches, progress=tick)
        t = first.totals()
        conn = db.connect(settings)
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM bronze.raw_transactions), (SELECT count(*) FROM "
                        "bronze.rejected_rows), (SELECT count(*) FROM pipeline.dead_letters)")
            in_db = cur.fetchone()
        conn.rollback()
        reconciles = (t["rows_in"] == len(frame) == sum(in_db)
                      and (t["loaded"], t["rejected"], t["dead_lettered"]) == in_db)
        print(f"first run:  {first.seconds:7.1f} s  {len(first.loaded)} batches loaded "
              f"({first.seconds / max(len(first.loaded), 1) * 1000:.0f} ms each incl. silver once); "
              f"in {t['rows_in']:,} = loaded {t['loaded']:,} + rejected {t['rejected']:,} + dead {t['dead_lettered']:,}"
              f"; database agrees: {reconciles}")
        before = digest(conn)
        second = pipeline.run_batches(settings, batches)
        same = digest(conn) == before
        print(f"second run: {second.seconds:7.1f} s  {second.skipped} batches skipped (checkpoints verified), "
              f"{len(second.loaded)} loaded, silver {'rebuilt' if second.silver_built else 'untouched'}; "
              f"state identical: {same}")
        silver_s = min(transform.run(conn).seconds for _ in range(2))
        print(f"silver rebuild: {silver_s:.2f} s; after every batch that is {len(batches)} x {silver_s:.2f} s = "
              f"{len(batches) * silver_s:.0f} s vs once per run {silver_s:.2f} s "
              f"({len(batches)}x); the pipeline rebuilds once per run")
        conn.close()
        if not (reconciles and same and not second.loaded and not second.silver_built):
            raise SystemExit("FAILED: the pipeline did not reconcile or the second run changed something")


if __name__ == "__main__":
    main()
