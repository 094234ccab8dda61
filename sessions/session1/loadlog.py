"""Session 1: bronze.load_log, one row per load attempt, and what the guards read from it.

The file name says where rows came from, not what they are. The log keeps what
was loaded (absolute path, size, sha256 of the content, header dialect), how
many rows, when, and the outcome, so a guard can recognise the same content
under another name or another file under the same name, and a person can see
what happened (``python -m sessions.session1.ingest --history``).
"""
from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import datetime, timezone

COLUMNS = ["source_file", "source_path", "size_bytes", "sha256", "dialect", "rows_read", "rows_loaded",
           "rows_rejected", "started_at", "finished_at", "outcome", "detail"]


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Entry:
    source_file: str
    source_path: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    dialect: str | None = None
    rows_read: int | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str = "failed"  # loaded, refused, failed, rolled_back (its run failed), replaced (by another load)
    detail: str | None = None


assert [f.name for f in fields(Entry)] == COLUMNS


def write(cur, entries: list[Entry]) -> list[int]:
    """Insert the entries; their load_ids, in order."""
    ids = []
    for entry in entries:
        entry.started_at = entry.started_at or now()
        entry.finished_at = entry.finished_at or now()
        cur.execute(f"INSERT INTO bronze.load_log ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
                    "RETURNING load_id", astuple(entry))
        ids.append(cur.fetchone()[0])
    return ids


def current(cur, source_file: str | None = None) -> dict[str, tuple[str, str, str]]:
    """{source: (outcome, sha256, source_path)} of each source's last load that changed bronze.

    Refused, failed and rolled-back attempts changed nothing, so they do not count;
    'replaced' means another load deleted the source's rows on purpose.
    """
    where = "outcome IN ('loaded', 'replaced')" + (" AND source_file = %s" if source_file else "")
    cur.execute(f"SELECT DISTINCT ON (source_file) source_file, outcome, sha256, source_path FROM bronze.load_log "
                f"WHERE {where} ORDER BY source_file, load_id DESC", (source_file,) if source_file else None)
    return {name: (outcome, sha, path) for name, outcome, sha, path in cur.fetchall()}


def last(conn, n: int = 20, ids: list[int] | None = None) -> list[tuple]:
    """The last ``n`` log rows (or the rows ``ids``), oldest first."""
    with conn.cursor() as cur:
        where, params = ("WHERE load_id = ANY(%s)", (ids, n)) if ids is not None else ("", (n,))
        cur.execute(f"SELECT load_id, {', '.join(COLUMNS)} FROM (SELECT * FROM bronze.load_log {where} "
                    "ORDER BY load_id DESC LIMIT %s) t ORDER BY load_id", params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def render(rows: list[tuple]) -> list[str]:
    """One line per log row: id, outcome, file, rows, when, content, path, and the detail if any."""
    out = []
    for (load_id, name, path, size, sha, dialect, read, loaded, rejected, started, finished, outcome,
         detail) in rows:
        if outcome == "replaced":  # no file of its own: what was deleted, and by which load
            out.append(f"#{load_id} replaced {name}: {detail}")
            continue
        counts = f"read {read:,}, loaded {loaded:,}, rejected {rejected:,}" if read is not None else "no rows"
        took = (finished - started).total_seconds()
        what = f"{size:,} B sha256 {sha[:12]}" if sha else "content unknown"
        line = (f"#{load_id} {outcome} {name} ({dialect or 'header unknown'}): {counts}; "
                f"{started.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC, {took:.2f} s; {what}; {path or 'no path'}")
        out.append(line + (f"; {detail}" if detail else ""))
    return out
