"""Your fix for poison_record: find the rows the database refuses, so the rest of the day can load.

Run: pytest --student sessions/session3 -k poison_record -s
"""
from __future__ import annotations


def isolate_poison(conn, batch, err: BaseException) -> list[tuple[int, str, str]]:
    # TODO(poison_record): bisect batch.frame. Probe a part with SAVEPOINT probe;
    # sessions.session1.ingest.ingest_frame(conn, part, f"probe:{batch.batch_id}"); ROLLBACK TO
    # SAVEPOINT probe (always). A part that fails with psycopg2.DataError/IntegrityError is split
    # in two until single rows remain. Return (index + 1, reason, raw) per refused row, using
    # sessions.session3.deadletter.reason_of(error) and .raw_json(row); if no single row fails,
    # raise err.
    raise NotImplementedError("TODO(poison_record): write isolate_poison")
