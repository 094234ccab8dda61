"""The student's command, in the spirit of rustlings: ``python -m failurelab <verb>``.

    list                 every exercise by session, in course order, with its status
    next                 grade in course order; show the first exercise not fixed yet
    run CASE             grade one exercise: its right-hand tests against your file
    hint CASE [N]        hint N (1, the gentlest, by default)
    reset CASE           put the pristine stub back (yours is kept in .failurelab/backup/)
    watch                re-grade the current exercise whenever a file under student/ changes
    solution CASE        the reference and a diff against your file, once it is fixed (--force: before)
    explain "ERROR"      the cases that teach an error you met in your own job
    report               every exercise's status for an autograder (--json, --junit, --markdown FILE)
    db status|start|stop|psql|destroy   the pipelines' local PostgreSQL (used when no DB_* is set)

Grading runs ``pytest --student``, so it gets its database exactly as the tests do.
"""
from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import time

from failurelab.course import FIXED, NOT_RUN, NOT_STARTED, RED, ROOT, Exercise, Progress, exercises, find
from failurelab.explain import rank

MARK = {FIXED: "[x] fixed      ", RED: "[ ] red        ", NOT_STARTED: "[ ] not started", NOT_RUN: "[?] not run    "}


def grade(chosen: list[Exercise], *extra: str, quiet: bool = True) -> int:
    """Run the chosen exercises' right-hand tests against the student's files (records their progress)."""
    if not chosen:
        return 0
    if quiet:
        print(f"grading {', '.join(e.case.name for e in chosen)} ...", flush=True)
    command = [sys.executable, "-m", "pytest", "--student", "-p", "no:randomly", "-p", "no:cacheprovider",
               *(["-q", "--no-header", "--tb=no", "--no-summary"] if quiet else ["--tb=short"]), *extra,
               *[str(e.test_file) for e in chosen]]
    return subprocess.run(command, cwd=ROOT, capture_output=quiet, text=True).returncode


def statuses(regrade: bool = False) -> tuple[list[Exercise], Progress]:
    """Every exercise, after grading those changed since their last grading (all started ones if regrade)."""
    every = exercises()
    progress = Progress()
    stale = [e for e in every if (regrade and e.started()) or progress.status(e) == NOT_RUN]
    grade(stale)
    return every, Progress()


def first_unfixed(every: list[Exercise], progress: Progress) -> Exercise | None:
    return next((e for e in every if progress.status(e) != FIXED), None)


def show(exercise: Exercise, progress: Progress) -> None:
    """The exercise as a student starts it: the explanation without the reference, where to write, what next."""
    case = exercise.case
    print(f"\n== {exercise.key}: {case.title} [{case.category}] ({progress.status(exercise)})\n")
    for head, text in case.sections.items():
        print(f"{head.upper()}\n  {text}\n")
    if progress.said(exercise) and progress.status(exercise) == RED:
        print(f"LAST RUN SAID\n  {progress.said(exercise)}\n")
    print(f"edit   {exercise.path.relative_to(ROOT)}\n"
          f"check  python -m failurelab run {case.name}   (or keep python -m failurelab watch running)\n"
          f"stuck? python -m failurelab hint {case.name}")


def cmd_list(args) -> int:
    every, progress = statuses()
    nxt = first_unfixed(every, progress)
    for session in dict.fromkeys(e.case.session for e in every):
        mine = [e for e in every if e.case.session == session]
        print(f"\n{session}: {sum(progress.status(e) == FIXED for e in mine)}/{len(mine)} fixed")
        for e in mine:
            print(f"  {MARK[progress.status(e)]}  {e.case.name:24} {e.case.title}" + ("   <- next" if e is nxt else ""))
    return 0


def cmd_next(args) -> int:
    every, progress = statuses()
    nxt = first_unfixed(every, progress)
    if nxt is None:
        print(f"All {len(every)} exercises are fixed. Compare yours with the references: python -m failurelab "
              "solution CASE")
        return 0
    show(nxt, progress)
    return 0


def cmd_run(args) -> int:
    return grade([find(args.case)], quiet=False)


def cmd_hint(args) -> int:
    exercise = find(args.case)
    hints = exercise.case.hints
    if not 1 <= args.n <= len(hints):
        print(f"{exercise.case.name} has hints 1 to {len(hints)}; after them: python -m failurelab solution "
              f"{exercise.case.name} --force")
        return 1
    print(f"hint {args.n} of {len(hints)} for {exercise.case.name}:\n  {hints[args.n - 1]}")
    if args.n < len(hints):
        print(f"more: python -m failurelab hint {exercise.case.name} {args.n + 1}")
    return 0


def cmd_reset(args) -> int:
    exercise = find(args.case)
    if exercise.started():
        backup = ROOT / ".failurelab" / "backup" / exercise.case.session / \
            f"{exercise.case.name}-{time.strftime('%Y%m%d-%H%M%S')}.py"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(exercise.path, backup)
        print(f"your version is kept in {backup.relative_to(ROOT)}")
    shutil.copyfile(exercise.pristine, exercise.path)
    print(f"{exercise.path.relative_to(ROOT)} is the pristine stub again")
    return 0


def cmd_watch(args) -> int:
    from watchfiles import PythonFilter, watch  # only this verb needs it

    every, progress = statuses()
    current = first_unfixed(every, progress)
    folders = sorted({str(e.path.parent) for e in every})
    try:
        while current is not None:
            show(current, progress)
            print("\nwatching student/ for changes (Ctrl-C to stop) ...")
            for _ in watch(*folders, watch_filter=PythonFilter()):
                grade([current], quiet=False)
                progress = Progress()
                if progress.status(current) == FIXED:
                    print(f"\n{current.case.name} is fixed.")
                    break
            current = first_unfixed(every, progress)
    except KeyboardInterrupt:
        return 0
    print(f"All {len(every)} exercises are fixed.")
    return 0


def cmd_solution(args) -> int:
    exercise = find(args.case)
    status = Progress().status(exercise)
    if status == NOT_RUN:
        grade([exercise])
        status = Progress().status(exercise)
    if status != FIXED and not args.force:
        print(f"{exercise.case.name} is {status}: fix it first (python -m failurelab hint {exercise.case.name}), "
              "or see the reference anyway with --force")
        return 1
    reference = []
    for where, source in exercise.case.fix_sources():
        print(f"# {where}\n{source}")
        reference += source.splitlines(keepends=True) + ["\n"]
    mine = exercise.path.read_text().splitlines(keepends=True)
    sys.stdout.writelines(difflib.unified_diff(mine, reference, str(exercise.path.relative_to(ROOT)), "reference"))
    return 0


def cmd_explain(args) -> int:
    found = rank(args.error, [e.case for e in exercises()])
    if not found:
        print("no case teaches an error like this one; paste the whole message, with its first line")
        return 1
    print("the cases that teach this error, best first:")
    for n, match in enumerate(found, 1):
        c = match.case
        print(f"  {n}. {c.session}/{c.name}: {c.title} ({', '.join(match.reasons)})\n"
              f"     read it: pytest sessions/{c.session} -k {c.name} -s   exercise: python -m failurelab run {c.name}")
    return 0


def cmd_db(args) -> int:
    """The pipelines' local PostgreSQL (failurelab.localdb); exit 3 from status when it is not running."""
    from failurelab import localdb

    where = localdb.folder()
    try:
        if args.action == "status":
            print(localdb.describe(where))
            return 0 if localdb.running(where) else 3
        if args.action in ("start", "psql"):
            line = localdb.ensure()[1]
            print(line, file=sys.stdout if args.action == "start" else sys.stderr, flush=True)  # psql's output: its own
            return 0 if args.action == "start" else localdb.psql(where, args.args).returncode
        if args.action == "stop":
            print(f"stopped; its data stays in {localdb.shown(where)}" if localdb.stop(where) else "not running")
            return 0
        if not args.yes:  # destroy
            print(f"this deletes {localdb.shown(where)} and every table in it: python -m failurelab db destroy --yes")
            return 1
        print(f"deleted {localdb.shown(where)}" if localdb.destroy(where) else f"nothing at {localdb.shown(where)}")
        return 0
    except (localdb.LocalDbError, localdb.psycopg2.Error) as err:
        print(f"error: {type(err).__name__}: {' '.join(str(err).split())}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    from failurelab.report import add_report_verb  # the autograder's verb lives with its formats

    parser = argparse.ArgumentParser(prog="python -m failurelab", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="every exercise with its status").set_defaults(run=cmd_list)
    verbs.add_parser("next", help="the first exercise not fixed yet").set_defaults(run=cmd_next)
    for name, fn, helptext in (("run", cmd_run, "grade one exercise"), ("reset", cmd_reset, "restore the stub")):
        verb = verbs.add_parser(name, help=helptext)
        verb.add_argument("case")
        verb.set_defaults(run=fn)
    hint = verbs.add_parser("hint", help="graded hints, gentlest first")
    hint.add_argument("case")
    hint.add_argument("n", nargs="?", type=int, default=1)
    hint.set_defaults(run=cmd_hint)
    verbs.add_parser("watch", help="re-grade on every change").set_defaults(run=cmd_watch)
    solution = verbs.add_parser("solution", help="the reference, once fixed")
    solution.add_argument("case")
    solution.add_argument("--force", action="store_true")
    solution.set_defaults(run=cmd_solution)
    explain = verbs.add_parser("explain", help="which case teaches this error")
    explain.add_argument("error")
    explain.set_defaults(run=cmd_explain)
    add_report_verb(verbs)
    db = verbs.add_parser("db", help="the pipelines' local PostgreSQL (used when no DB_* is set)")
    actions = db.add_subparsers(dest="action", required=True)
    for action, helptext in (("status", "where it is, whether it runs"), ("start", "create or start it"),
                             ("stop", "stop it, keeping its data"), ("destroy", "delete it with its data"),
                             ("psql", "psql on retail_db; what follows is psql's, e.g. -c 'SELECT 1'")):
        verb = actions.add_parser(action, help=helptext)
        verb.set_defaults(run=cmd_db, args=[], yes=False)
    actions.choices["destroy"].add_argument("--yes", action="store_true", help="really delete it")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["db", "psql"]:  # the rest is psql's own (argparse.REMAINDER stops at a leading -c)
        return cmd_db(argparse.Namespace(action="psql", args=argv[2:]))
    args = parser.parse_args(argv)
    return args.run(args)
