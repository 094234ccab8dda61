"""How long the transform takes on the full real data (541,909 rows), side by side.

    python -m sessions.session2.benchmark [--rows N]   # N > 0: generated rows instead of the real file

Loads bronze with session 1's pipeline from ../shared/data/online_retail_full.csv.xz
(or $RETAIL_DATA_DIR) into a database of its own (on the DB_* server, else a throwaway one), then times: the first build of
silver, a full rebuild (what session 3 runs once per run, after its batches), a refresh
of one day, and the reconciliation alone. Goal: a full rebuild in ≤ 5 s.
"""
from __future__ import annotations

import argparse
import time
from datetime import date


from failurelab import sampledata
from failurelab.sampledata import FULL_DATA
from failurelab.scratch import scratch_database
from sessions.session1 import reader
from sessions.session1.ingest import ingest_frame
from sessions.session1.load import create_schema
from sessions.session2 import transform



def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="use N generated rows instead of the real file")
    args = parser.parse_args()
    path = FULL_DATA
    if args.rows or not path.exists():
        frame, source = sampledata.generate(args.rows or 541_909), "generated"
    else:
        frame, source = reader.read_source(path), path.name
    with scratch_database() as db:
        conn = db.connect()
        create_schema(conn)
        load_s, ingest = timed(ingest_frame, conn, frame, source)
        print(f"bronze: {ingest.loaded:,} rows from {source} (session 1, {load_s:.1f} s); "
              f"PostgreSQL {conn.server_version // 10000}.{conn.server_version % 10000}")
        first_s, first = timed(transform.run, conn)
        again_s, again = timed(transform.run, conn)
        last_day = max(d for d in frame["InvoiceDate"]).date() if source == "generated" else date(2011, 12, 9)
        day_s, _ = timed(transform.run, conn, [last_day])
        rec_s, _ = timed(transform.reconcile, conn)
        print(first.summary())
        print(f"{'run':<34}{'seconds':>9}{'vs goal 5 s':>13}")
        for label, seconds in [("first build (empty silver)", first_s), ("full rebuild (silver exists)", again_s),
                               (f"refresh one day ({last_day})", day_s), ("reconciliation alone", rec_s)]:
            print(f"{label:<34}{seconds:>9.2f}{seconds / 5:>12.0%}")
        print("steps of the full rebuild: " + ", ".join(f"{k} {v:.2f} s" for k, v in again.steps.items()))
        conn.close()


if __name__ == "__main__":
    main()
