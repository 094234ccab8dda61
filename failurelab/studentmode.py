"""``pytest --student``: grade exercises, not pipelines.

* only the right-hand tests that grade a fix run, in course order (random order
  does not apply: the first red one is the next thing to do);
* each exercise's verdict is recorded for the exact content graded
  (``failurelab.course.Progress``), so a ``-k`` run still shows whole sessions;
* the summary names the fixed and unfixed exercises of every session it ran,
  with the session's full count, and the next thing to do.
"""
from __future__ import annotations

from collections import defaultdict

import pytest

from failurelab.course import FIXED, NOT_RUN, NOT_STARTED, RED, Progress, exercises
from failurelab.grading import case_of

MARK = {FIXED: "fixed      ", RED: "red        ", NOT_STARTED: "not started", NOT_RUN: "not run    "}


def _key(item) -> str:
    case = case_of(item)
    return f"{case.session}/{case.name}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("student"):
        return
    order = {e.key: n for n, e in enumerate(exercises(config.rootpath))}
    graded = [i for i in items if case_of(i) and "solution" in getattr(i, "fixturenames", ())]
    graded.sort(key=lambda i: (order[_key(i)], i.location[1]))  # course order, then as written
    chosen = set(graded)
    if len(graded) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
    items[:] = graded


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("student") and not hasattr(config, "workerinput"):  # the controller keeps the record
        config.pluginmanager.register(StudentProgress(config), "failurelab-student-progress")


class StudentProgress:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.ran: dict[str, dict[str, tuple[bool, str]]] = defaultdict(dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        key = getattr(report, "exercise", None)
        if key and (report.when == "call" or report.failed):
            test = report.nodeid.split("::")[-1].split("[")[0]
            before = self.ran[key].get(test, (True, ""))
            self.ran[key][test] = (before[0] and report.passed, before[1] or getattr(report, "said", ""))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        progress = Progress(self.config.rootpath)
        for exercise in exercises(self.config.rootpath):
            ran = self.ran.get(exercise.key)
            if ran and set(exercise.case.right_hand_tests()) <= set(ran):  # a whole verdict, not a -k slice of it
                said = next((s for ok, s in ran.values() if not ok and s), "")
                progress.record(exercise, all(ok for ok, _ in ran.values()), said)
        if self.ran:
            progress.save()

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.ran:
            return
        progress = Progress(self.config.rootpath)
        every = exercises(self.config.rootpath)
        sessions = sorted({key.split("/")[0] for key in self.ran})
        terminalreporter.section("your fixes")
        for session in sessions:
            mine = [e for e in every if e.case.session == session]
            status = {e.key: progress.status(e) for e in mine}
            fixed = sum(s == FIXED for s in status.values())
            terminalreporter.write_line(f"{session}: {fixed}/{len(mine)} fixed")
            for e in mine:
                said = progress.said(e) if status[e.key] == RED else ""
                terminalreporter.write_line(f"  {MARK[status[e.key]]} {e.case.name}" + (f": {said}" if said else ""))
        pending = [e for e in every if e.case.session in sessions and progress.status(e) != FIXED]
        if pending:
            terminalreporter.write_line(f"next: {pending[0].case.name}, in {pending[0].path.relative_to(self.config.rootpath)}"
                                        f" (hints: python -m failurelab hint {pending[0].case.name})")
