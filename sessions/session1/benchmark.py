"""Measure the ingest path against the naive ones, side by side in one run.

    python -m sessions.session1.benchmark [--data PATH] [--xlsx-rows N] [--skip-row-by-row]

1. The full CSV → bronze through the pipeline (read, clean, guards, COPY), a
   re-run, and the same data decompressed to a .csv: refused by the content guard.
2. Loading the same cleaned rows three ways into identical tables: COPY (the
   pipeline), pandas ``DataFrame.to_sql`` (through SQLAlchemy when it is
   installed), batched INSERT (``execute_values``, 1,000 rows a statement) and
   row-by-row INSERT (``executemany``: one round trip per row).
3. Reading an .xlsx made by ``failurelab.sampledata`` with calamine vs openpyxl.

Uses DB_* (environment or .env) when DB_HOST is set, else a throwaway server
from local PostgreSQL binaries; works in a database of its own, dropped at the end.
"""
from __future__ import annotations

import argparse
import importlib.util
import lzma
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg2.extras

from failurelab import sampledata
from failurelab.sampledata import FULL_DATA
from failurelab.scratch import scratch_database
from sessions.session1 import cleaning, config, guards, ingest, load, reader

NAIVE = "bronze.naive_load"


@contextmanager
def scratch_settings():
    """Session 1's settings for a database of the benchmark's own (failurelab.scratch)."""
    with scratch_database() as db:
        yield config.Settings(db.host, db.port, db.dbname, db.user, db.password)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def fresh_naive_table(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {NAIVE}; CREATE TABLE {NAIVE} (LIKE bronze.raw_transactions INCLUDING ALL)")
    conn.commit()


def load_copy(conn, rows):
    with conn.cursor() as cur:
        load.copy_frame(cur, rows, NAIVE, load.RAW_COLUMNS)
    conn.commit()


def load_insert(conn, rows, batched: bool):
    sql = f"INSERT INTO {NAIVE} ({', '.join(load.RAW_COLUMNS)}) VALUES "
    columns = [rows[c].astype(object).where(rows[c].notna(), None) for c in load.RAW_COLUMNS]  # NaN, NA -> NULL
    values = list(zip(*columns))  # Python tuples, as to_sql hands them to the driver
    with conn.cursor() as cur:
        if batched:
            psycopg2.extras.execute_values(cur, sql + "%s", values, page_size=1000)
        else:
            cur.executemany(sql + f"({', '.join(['%s'] * len(load.RAW_COLUMNS))})", values)
    conn.commit()


def load_to_sql(settings, rows):
    from sqlalchemy import create_engine  # only the benchmark needs SQLAlchemy
    # settings.connect, not a URL built from the settings: a password with "@" or "/" breaks a URL (wrong_credentials)
    engine = create_engine("postgresql+psycopg2://", creator=settings.connect)
    with engine.begin() as connection:
        rows[load.RAW_COLUMNS].to_sql("naive_load", connection, schema="bronze", if_exists="append", index=False,
                                      chunksize=10_000)
    engine.dispose()


def refused_as_plain_csv(conn, data: Path) -> float | None:
    """Seconds until the same data, decompressed under another name, is refused (None: not a .csv.xz)."""
    if data.suffix != ".xz":
        return None
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / data.stem
        with lzma.open(data) as packed, open(plain, "wb") as out:
            shutil.copyfileobj(packed, out)
        start = time.perf_counter()
        try:
            ingest.ingest_file(conn, plain)
        except guards.LoadRefused:
            return time.perf_counter() - start
    raise AssertionError(f"{plain.name} was loaded: the content guard should have refused it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FULL_DATA)
    parser.add_argument("--xlsx-rows", type=int, default=100_000,
                        help="rows in the generated .xlsx (writing all 541,909 with openpyxl takes minutes)")
    parser.add_argument("--skip-row-by-row", action="store_true", help="skip the slowest path (about a minute)")
    args = parser.parse_args()
    table = []  # (what, seconds)
    with scratch_settings() as settings:
        conn = settings.connect()
        load.create_schema(conn)
        t_read, frame = timed(reader.read_source, args.data)
        t_clean, cleaned = timed(cleaning.clean, frame)
        t_all, report = timed(ingest.ingest_file, conn, args.data)
        t_again, _ = timed(ingest.ingest_file, conn, args.data)
        print(report.summary())
        t_refused = refused_as_plain_csv(conn, args.data)
        rows = cleaned.good.assign(source_file="bench")
        n = len(rows)
        table += [(f"pipeline: {args.data.name} → bronze (read {t_read:.2f} s, clean {t_clean:.2f} s, COPY)", t_all),
                  ("pipeline: the same file again (replaces its rows)", t_again)]
        if t_refused is not None:
            table.append(("pipeline: the same data as a plain .csv (read, clean, refused: same content)", t_refused))
        loads = [("COPY (load.copy_frame)", lambda: load_copy(conn, rows))]
        if importlib.util.find_spec("sqlalchemy"):
            loads.append(("DataFrame.to_sql (SQLAlchemy, chunksize 10,000)", lambda: load_to_sql(settings, rows)))
        loads.append(("batched INSERT (execute_values, 1,000 rows a statement)", lambda: load_insert(conn, rows, True)))
        if not args.skip_row_by_row:
            loads.append(("row-by-row INSERT (executemany)", lambda: load_insert(conn, rows, False)))
        for what, run in loads:
            fresh_naive_table(conn)
            seconds, _ = timed(run)
            table.append((f"load {n:,} cleaned rows: {what}", seconds))
            print(f"  {what}: {seconds:.2f} s", flush=True)
        conn.close()
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = sampledata.write_xlsx(sampledata.generate(args.xlsx_rows), Path(tmp) / "online_retail.xlsx")
        for engine in ("calamine", "openpyxl"):
            seconds, _ = timed(reader.read_source, xlsx, engine=engine)
            table.append((f"read a {args.xlsx_rows:,}-row .xlsx: {engine}", seconds))
    copy = next(s for w, s in table if "COPY (load" in w)
    calamine = next(s for w, s in table if w.endswith("calamine"))
    print("\n| step | seconds | vs the fast path |\n|---|---:|---:|")
    for what, seconds in table:
        base = calamine if what.startswith("read a") else copy if what.startswith("load") else None
        print(f"| {what} | {seconds:.2f} | {f'{seconds / base:.1f}×' if base else ''} |")


if __name__ == "__main__":
    main()
