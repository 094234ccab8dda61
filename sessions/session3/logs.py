"""Structured logs: one JSON object per line on stderr, each with its batch id.

``grep '"batch_id": "day:2011-01-18"'`` then finds everything about one batch,
and a log system can count, filter and alert on the fields. Progress and the
final summary for people go to stdout (see ``pipeline.py``).
"""
from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("event", "run_id", "batch_id", "attempt", "delay_s", "error", "rows_in", "loaded", "rejected",
          "dead_lettered", "seconds", "what")


RUN_ID: ContextVar[str | None] = ContextVar("run_id", default=None)  # set for the length of a run


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
                 "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        if RUN_ID.get():
            entry["run_id"] = RUN_ID.get()  # every line of one run can be found by its id
        entry.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, default=str)


@contextmanager
def json_logs(level: int = logging.INFO, stream=None):
    """While the block runs, the session's loggers also write JSON lines to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("session3")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
