"""The student's loop, as a student lives it, in a copy of the course (the tree itself is never touched)."""
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from failurelab.attempts import RIGHT, catalogue, catalogue_module
from failurelab.course import exercises

ROOT = Path(__file__).resolve().parents[2]


def fill(root: Path, name: str) -> None:
    """Write a correct fix into the copy's stub: a right attempt of the catalogue, as the student's own file."""
    exercise = next(e for e in exercises() if e.case.name == name)
    good = next(a for a in catalogue(exercise.case) if a.verdict == RIGHT)
    lines = [f"from {catalogue_module(exercise.case)} import {good.name} as _mine\n"]
    lines += [f"{fn.__name__} = _mine.{fn.__name__}\n" for fn in exercise.case.fixes]
    (root / exercise.path.relative_to(ROOT)).write_text("".join(lines))


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A fresh clone's worth of the course; ``lab(...)`` runs ``python -m failurelab ...`` in it."""
    root = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", ".failurelab", ".pytest_cache")
    for part in ("sessions", "failurelab", "docs"):
        shutil.copytree(ROOT / part, root / part, ignore=ignore)
    for part in ("conftest.py", "pytest.ini", "README.md"):  # README.md: its diagrams are checked (test_diagrams)
        shutil.copy(ROOT / part, root / part)
    for key in ("FAILURELAB_PROGRESS", "PYTHONPATH"):
        monkeypatch.delenv(key, raising=False)

    def lab(*args):
        done = subprocess.run([sys.executable, "-m", "failurelab", *args], cwd=root, capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr
    return root, lab


def status_of(listing: str, name: str) -> str:
    line = next(line for line in listing.splitlines() if line.startswith("  [") and f" {name} " in line)
    return line.split("]", 1)[1].split(name)[0].strip()


def test_a_student_fixes_three_exercises_resets_one_and_asks_for_hints(course):
    root, lab = course
    code, listing = lab("list")
    assert code == 0 and listing.count("not started") == len(exercises()) and "missing_file" in listing
    assert "<- next" in next(line for line in listing.splitlines() if " missing_file " in line)

    for name in ("missing_file", "sql_syntax_error", "retry_non_transient"):  # one in each session
        fill(root, name)
    code, listing = lab("list")
    assert [status_of(listing, n) for n in ("missing_file", "sql_syntax_error", "retry_non_transient",
                                            "corrupt_excel")] == ["fixed", "fixed", "fixed", "not started"]
    assert "session1: 1/13 fixed" in listing and "session2: 1/8 fixed" in listing
    code, shown = lab("next")
    assert "== session1/corrupt_excel: Corrupt Excel file" in shown and "edit   sessions/session1/student/" \
        "corrupt_excel.py" in shown and "CORRECT APPROACH" not in shown and "def check_xlsx" not in shown

    code, said = lab("reset", "sql_syntax_error")
    assert code == 0 and "your version is kept in .failurelab/backup/session2/sql_syntax_error-" in said
    assert status_of(lab("list")[1], "sql_syntax_error") == "not started"
    stub = root / "sessions/session2/student/sql_syntax_error.py"
    assert stub.read_bytes() == (root / "sessions/session2/student/.pristine/sql_syntax_error.py").read_bytes()

    code, hint = lab("hint", "corrupt_excel")
    assert code == 0 and hint.startswith("hint 1 of ") and "python -m failurelab hint corrupt_excel 2" in hint
    assert lab("hint", "corrupt_excel", "99")[0] == 1

    # (the self-checks judge the pristine stubs, not yours: the finished course below shows it)


def test_the_solution_waits_until_the_exercise_is_fixed(course):
    root, lab = course
    code, said = lab("solution", "missing_file")
    assert code == 1 and "missing_file is not started: fix it first" in said
    fill(root, "missing_file")
    code, shown = lab("solution", "missing_file")
    assert code == 0 and "def check_source(path: str | os.PathLike) -> Path:" in shown and "+++ reference" in shown


def test_report_writes_json_and_a_job_summary(course, tmp_path):
    root, lab = course
    fill(root, "missing_file")
    summary = tmp_path / "summary.md"
    code, _ = lab("report", "--json", str(tmp_path / "grades.json"), "--markdown", str(summary))
    grades = json.loads((tmp_path / "grades.json").read_text())
    assert code == 0 and grades["fixed"] == 1 and grades["total"] == len(exercises())
    assert grades["exercises"][0] == {"session": "session1", "case": "missing_file", "title": "Missing input file",
                                      "status": "fixed", "said": "", "file": "sessions/session1/student/missing_file.py"}
    assert "### Failure Lab: 1/29 exercises fixed" in summary.read_text()


@pytest.mark.parametrize("pasted, case", [
    ('psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "raw_transactions_pkey"\n'
     "DETAIL:  Key (source_file, source_line)=(online_retail.csv, 1) already exists.", "duplicate_primary_key"),
    ('connection to server at "db.internal" (10.1.2.3), port 5432 failed: Connection refused', "database_down"),
    ("ERROR:  57014: canceling statement due to statement timeout", "network_timeout"),
    ("KeyError: 'UnitPrice'", "missing_columns"),
])
def test_explain_finds_the_case_that_teaches_a_pasted_error(course, pasted, case):
    code, said = course[1]("explain", pasted)
    assert code == 0 and said.splitlines()[1].split(": ")[0].endswith(f"/{case}"), said


def test_watch_regrades_on_save_and_moves_on_when_green(course):
    root, _ = course
    watcher = subprocess.Popen([sys.executable, "-u", "-m", "failurelab", "watch"], cwd=root, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen, deadline, graded = [], threading.Timer(120, watcher.kill), threading.Event()
    deadline.start()

    def save():
        while not graded.wait(2):
            fill(root, "missing_file")
    saver = threading.Thread(target=save, daemon=True)
    try:
        for line in watcher.stdout:
            seen.append(line)
            if "watching student/ for changes" in line and len([s for s in seen if "watching" in s]) == 1:
                saver.start()  # the student saves a correct fix (again, until the watcher, maybe not ready yet, sees it)
            if "grading" in line or "session1/cases/test_missing_file.py" in line:
                graded.set()
            if "== session1/corrupt_excel" in line:
                break
    finally:
        graded.set()
        deadline.cancel()
        watcher.kill()
        watcher.wait(10)
    text = "".join(seen)
    assert "== session1/missing_file" in text and "missing_file is fixed." in text, text


def test_a_finished_course_is_all_fixed_and_keeps_the_self_checks_green(course):
    root, lab = course
    for exercise in exercises():
        fill(root, exercise.case.name)
    pytest_in_copy = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    graded = subprocess.run([*pytest_in_copy, "--student", "-n", "2"], cwd=root, capture_output=True, text=True)
    assert graded.returncode == 0, graded.stdout[-3000:]
    assert all(f"{s}: {n}/{n} fixed" in graded.stdout for s, n in (("session1", 13), ("session2", 8), ("session3", 8)))
    one = subprocess.run([*pytest_in_copy, "--student", "sessions/session1", "-k", "missing_file"], cwd=root,
                         capture_output=True, text=True)
    assert "session1: 13/13 fixed" in one.stdout, one.stdout[-2000:]  # a -k run still counts the whole session
    checks = subprocess.run([*pytest_in_copy, "failurelab/tests/test_selfcheck.py", "failurelab/tests/test_catalogue.py"],
                            cwd=root, capture_output=True, text=True)
    assert checks.returncode == 0, checks.stdout[-2000:]
    assert "not started" not in lab("list")[1]
