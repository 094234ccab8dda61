"""A few days of generated sales, for the tests and for trying the pipeline by hand.

    python -m sessions.session3.sample days.csv [--rows 240] [--days 4]
    python -m sessions.session3.pipeline days.csv
"""
from __future__ import annotations

import argparse
from datetime import timedelta

from failurelab import sampledata


def few_days(rows: int = 240, days: int = 4, seed: int = 0):
    """``rows`` generated rows with every quirk, spread over ``days`` consecutive days from 2010-12-01."""
    frame = sampledata.generate(rows, seed)
    start = sampledata.START
    frame["InvoiceDate"] = [start + timedelta(days=i * days // len(frame), hours=t.hour, minutes=t.minute)
                            for i, t in enumerate(frame["InvoiceDate"])]
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="a .csv path")
    parser.add_argument("--rows", type=int, default=240)
    parser.add_argument("--days", type=int, default=4)
    args = parser.parse_args(argv)
    sampledata.write_csv(few_days(args.rows, args.days), args.out)
    print(f"wrote {args.rows:,} rows over {args.days} days to {args.out}")


if __name__ == "__main__":
    main()
