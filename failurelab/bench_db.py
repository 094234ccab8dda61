"""Measure what one database test costs to provision: create, connect, drop.

    python -m failurelab.bench_db [--runs 50]

Prints the median and 90th percentile for this suite's throwaway server (in
RAM where there is room, durability off) and, in the same run, for a server as
pytest-postgresql starts it (temp dir on disk, default durability), side by side.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from failurelab import pgserver
from failurelab.database import Database, fresh_database


def one_test(server: pgserver.ThrowawayServer) -> float:
    admin = Database(server.host, server.port, "postgres", server.user, server.password)
    start = time.perf_counter()
    with fresh_database(admin, prefix="bench") as fresh:
        fresh.connect().close()
    return time.perf_counter() - start


def measure(settings: dict[str, str], parent, runs: int, bindir: str) -> list[float]:
    server = pgserver.ThrowawayServer(bindir, settings=settings, parent=parent).start()
    try:
        return [one_test(server) for _ in range(runs)]
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    bindir = pgserver.find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries found; see docs/setup.md")
    durable = {k: v for k, v in pgserver.SERVER_SETTINGS.items()
               if k not in {"fsync", "synchronous_commit", "full_page_writes"}}
    print(f"per-test database (create from template0 + connect + drop), {runs} runs, PostgreSQL "
          f"{pgserver.server_version(bindir)}")
    print(f"{'server':<48}{'median':>10}{'p90':>10}")
    results = {}
    ours = pgserver.base_dirs()[0]
    for label, settings, parent in [
            (f"this suite: {ours}, fsync=off", pgserver.SERVER_SETTINGS, ours),
            (f"default: {tempfile.gettempdir()}, durable", durable, Path(tempfile.gettempdir()))]:
        times = sorted(measure(settings, parent, runs, bindir))
        results[label] = statistics.median(times)
        print(f"{label:<48}{results[label] * 1000:>8.1f}ms{times[int(runs * 0.9) - 1] * 1000:>8.1f}ms")
    fast, slow = results.values()
    print(f"ratio: this suite is {slow / fast:.1f}x faster per test")


if __name__ == "__main__":
    main()
