"""The course as a student meets it: exercises in course order, their files, their progress.

An exercise is a case seen from the student's side: the file they edit
(``sessions/<session>/student/<case>.py``), its pristine copy
(``sessions/<session>/student/.pristine/<case>.py``, what ``reset`` restores and
what the self-check validates), and its status:

* ``not started``: the student's file is still the pristine stub;
* ``fixed`` or ``red``: what the last graded run of this very file said;
* ``not run``: changed since it was last graded.

Progress is kept in ``.failurelab/progress.json`` at the root (git-ignored),
written by every ``pytest --student`` run, so ``list`` and the summary of a
``-k`` run still know the cases that did not run this time.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from failurelab.cases import Case, discover

ROOT = Path(__file__).resolve().parent.parent
NOT_STARTED, NOT_RUN, RED, FIXED = "not started", "not run", "red", "fixed"


@dataclass(frozen=True)
class Exercise:
    case: Case
    root: Path = ROOT

    @property
    def key(self) -> str:
        return f"{self.case.session}/{self.case.name}"

    @property
    def path(self) -> Path:
        return self.root / "sessions" / self.case.session / "student" / f"{self.case.name}.py"

    @property
    def pristine(self) -> Path:
        return self.path.parent / ".pristine" / self.path.name

    @property
    def test_file(self) -> Path:
        return self.root / "sessions" / self.case.session / "cases" / f"test_{self.case.name}.py"

    def digest(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path.exists() else ""

    def started(self) -> bool:
        return not self.path.exists() or self.path.read_bytes() != self.pristine.read_bytes()


def exercises(root: Path = ROOT) -> list[Exercise]:
    return [Exercise(case, root) for case in discover()]


def find(name: str, root: Path = ROOT) -> Exercise:
    """An exercise by case name (``missing_file``) or ``session/case``."""
    matches = [e for e in exercises(root) if name in (e.case.name, e.key)]
    if not matches:
        known = ", ".join(e.case.name for e in exercises(root))
        raise SystemExit(f"no case named {name!r}; the cases are: {known}")
    return matches[0]


class Progress:
    """What the last graded run said of each exercise, keyed by the exact content it graded."""

    def __init__(self, root: Path = ROOT):
        self.file = Path(os.environ.get("FAILURELAB_PROGRESS", root / ".failurelab" / "progress.json"))
        self.data: dict[str, dict] = json.loads(self.file.read_text()) if self.file.exists() else {}

    def record(self, exercise: Exercise, fixed: bool, said: str = "") -> None:
        self.data[exercise.key] = {"digest": exercise.digest(), "fixed": fixed, "said": said}

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self.file.write_text(json.dumps(self.data, indent=1, sort_keys=True))

    def status(self, exercise: Exercise) -> str:
        if not exercise.started():
            return NOT_STARTED
        last = self.data.get(exercise.key)
        if last is None or last["digest"] != exercise.digest():
            return NOT_RUN
        return FIXED if last["fixed"] else RED

    def said(self, exercise: Exercise) -> str:
        return self.data.get(exercise.key, {}).get("said", "")
