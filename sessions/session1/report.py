"""Session 1: what one ingest did, in numbers that must add up."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sessions.session1 import dialects


@dataclass
class IngestReport:
    source_file: str
    read: int
    loaded: int
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> rows
    cancellations: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    dialect: str | None = None  # the header's dialect (dialects.DIALECTS)
    extra_columns: list[str] = field(default_factory=list)  # read, then ignored: the CLI warns about them
    warnings: list[str] = field(default_factory=list)  # loaded, but a person should know (the CLI prints them)

    @property
    def reconciles(self) -> bool:
        return self.read == self.loaded + sum(self.rejected.values())

    def summary(self) -> str:
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.rejected.items())) or "none"
        header = f" ({self.dialect} header)" if self.dialect else ""
        return (f"{self.source_file}{header}: read {self.read:,}, loaded {self.loaded:,} (cancellations "
                f"{self.cancellations:,}, duplicates flagged {self.duplicates:,}), rejected "
                f"{sum(self.rejected.values()):,} ({reasons}) in {self.seconds:.2f} s")


def build(source_file: str, frame: pd.DataFrame, good: pd.DataFrame, rejected: pd.DataFrame, loaded: int,
          seconds: float = 0.0) -> IngestReport:
    """The report of one cleaned and loaded frame; refuses to pretend when the counts do not add up."""
    report = IngestReport(source_file, len(frame), loaded,
                          {str(r): int(n) for r, n in rejected["reason"].value_counts().sort_index().items()},
                          int(good["is_cancellation"].sum()), int(good["is_duplicate"].sum()), seconds,
                          dialects.detect(frame.columns), dialects.extra_columns(frame.columns))
    if not report.reconciles:  # cannot happen unless a rule loses rows
        raise AssertionError(f"counts do not reconcile: {report.summary()}")
    return report
