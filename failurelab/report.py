"""``python -m failurelab report``: every exercise's status, for an autograder.

    python -m failurelab report --json grades.json --junit grades.xml --markdown "$GITHUB_STEP_SUMMARY"

Every exercise that was started is graded afresh (one ``pytest --student`` run);
the JSON holds one record per exercise, the JUnit XML is pytest's own, and the
Markdown table is written for a GitHub Actions job summary (appended to FILE).
"""
from __future__ import annotations

import json
from pathlib import Path

from failurelab.course import FIXED, ROOT, Progress, exercises


def records(progress: Progress) -> list[dict]:
    return [{"session": e.case.session, "case": e.case.name, "title": e.case.title, "status": progress.status(e),
             "said": progress.said(e) if progress.status(e) != FIXED else "", "file": str(e.path.relative_to(ROOT))}
            for e in exercises()]


def markdown(rows: list[dict]) -> str:
    fixed = sum(r["status"] == FIXED for r in rows)
    lines = [f"### Failure Lab: {fixed}/{len(rows)} exercises fixed", "",
             "| session | case | status | what the last run said |", "|---|---|---|---|"]
    lines += [f"| {r['session']} | `{r['case']}` | {'✅ ' if r['status'] == FIXED else ''}{r['status']} | "
              f"{r['said'].replace('|', '/')} |" for r in rows]
    return "\n".join(lines) + "\n"


def cmd_report(args) -> int:
    from failurelab.cli import grade  # the CLI's grading, with pytest's JUnit XML when asked

    started = [e for e in exercises() if e.started()]
    grade(started, *([f"--junitxml={Path(args.junit).resolve()}"] if args.junit else []))
    rows = records(Progress())
    if args.json:
        Path(args.json).write_text(json.dumps({"fixed": sum(r["status"] == FIXED for r in rows),
                                               "total": len(rows), "exercises": rows}, indent=1))
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as out:
            out.write(markdown(rows))
    if not (args.json or args.markdown):
        print(markdown(rows))
    return 0


def add_report_verb(verbs) -> None:
    report = verbs.add_parser("report", help="every exercise's status, for an autograder")
    report.add_argument("--json", metavar="FILE", help="write one record per exercise")
    report.add_argument("--junit", metavar="FILE", help="write pytest's JUnit XML of the grading run")
    report.add_argument("--markdown", metavar="FILE", help="append a table (e.g. to $GITHUB_STEP_SUMMARY)")
    report.set_defaults(run=cmd_report)
