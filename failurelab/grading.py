"""Grading a fix: the right-hand tests judge the reference, a student's fix, or a catalogue.

* the ``solution`` fixture hands a right-hand test the fix under test: the
  reference fix, with ``--student`` the student's module, with ``--attempts``
  each attempt of the case's catalogue in turn (``failurelab.attempts``);
* a student's fix (or an attempt) that calls the reference fix does not count,
  and one that hangs is stopped after ``--fix-timeout`` seconds, saying where;
* ``--attempts`` runs only right-hand tests and judges each attempt: a wrong one
  must fail the right-hand test its ``caught_by`` names (shown as xfailed; only
  that test runs for it), a right one must pass every test. Any other verdict
  fails the run.
"""
from __future__ import annotations

import importlib
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from failurelab.attempts import RIGHT, WRONG, Attempt, attempts
from failurelab.cases import Case
from failurelab.watch import Delegation, Hung, TimeLimit


@dataclass
class FixUnderTest:
    namespace: object
    files: set[str] = field(default_factory=set)  # where the fix's own code lives
    graded: bool = False                         # a student's fix or an attempt, not the reference
    is_reference: str | None = None              # why it is the reference itself, if it is
    attempt: Attempt | None = None


FIX = pytest.StashKey[FixUnderTest]()


def case_of(item) -> Case | None:
    module = getattr(item, "module", None)
    if module is None or item.get_closest_marker("failure_case") is None:
        return None
    return Case(module)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("failurelab", "failure cases")
    group.addoption("--student", action="store_true", default=False,
                    help="run the right-hand tests against your own fixes in sessions/*/student/")
    group.addoption("--attempts", action="store_true", default=False,
                    help="grade every case's catalogue of attempts (sessions/*/cases/attempts/): each wrong "
                         "attempt must fail a right-hand test, each right one pass them all")
    group.addoption("--attempts-dir", metavar="DIR", default=None,
                    help="with --attempts, grade the attempts in DIR/<session>/<case>.py instead of the catalogue "
                         "(e.g. a held-out set, or fixes collected from a class)")
    group.addoption("--fix-timeout", type=float, default=20.0, metavar="SECONDS",
                    help="with --student or --attempts, stop a fix that runs longer than this (default 20)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("attempts") and not hasattr(config, "workerinput"):  # the verdicts are the controller's
        config.pluginmanager.register(Verdicts(), "failurelab-verdicts")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.config.getoption("attempts") and "solution" in metafunc.fixturenames:
        case = Case(metafunc.module)
        every = attempts(case, metafunc.config.getoption("attempts_dir"))
        if not every:  # nothing to grade for this case here
            metafunc.parametrize("solution", [pytest.param(None, marks=pytest.mark.skip(reason="no attempts"))],
                                 indirect=True)
            return
        metafunc.parametrize("solution", every, ids=[a.id for a in every], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("attempts"):
        return
    # a wrong attempt's verdict rests on the test its caught_by names: the other tests need not run for it
    graded = [i for i in items if case_of(i) and "solution" in getattr(i, "fixturenames", ()) and _decides(i)]
    deselected = [i for i in items if i not in set(graded)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = graded


def _decides(item) -> bool:
    attempt = item.callspec.params.get("solution") if hasattr(item, "callspec") else None
    return attempt is None or attempt.verdict == RIGHT or attempt.caught_by in item.originalname


def _student_fix(case: Case) -> FixUnderTest:
    module = importlib.import_module(case.student_module)
    functions = [getattr(module, fn.__name__) for fn in case.fixes]
    same = [ref for mine, ref in zip(functions, case.fixes) if getattr(mine, "__code__", None) is ref.__code__]
    said = same and (f"not fixed yet: {case.student_module}.{same[0].__name__} is the reference "
                     f"{same[0].__module__}.{same[0].__name__} itself; write your own")
    return FixUnderTest(module, {fn.__code__.co_filename for fn in functions}, graded=True, is_reference=said or None)


@pytest.fixture
def solution(request: pytest.FixtureRequest):
    """The fix under test: the reference fix, with --student yours, with --attempts each attempt."""
    case = case_of(request.node)
    if case is None:
        raise pytest.UsageError("the solution fixture is for failure_case modules")
    attempt = getattr(request, "param", None)
    if attempt is not None:
        fix = FixUnderTest(attempt.namespace, {fn.__code__.co_filename for fn in attempt.functions},
                           graded=attempt.name != "Reference", attempt=attempt)
    elif request.config.getoption("student"):
        fix = _student_fix(case)
    else:
        fix = FixUnderTest(SimpleNamespace(**{fn.__name__: fn for fn in case.fixes}))
    request.node.stash[FIX] = fix
    return fix.namespace


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    fix = item.stash.get(FIX, None)
    if fix is None or not fix.graded:
        return (yield)
    if fix.is_reference:
        pytest.fail(fix.is_reference, pytrace=False)
    case = case_of(item)
    limit = TimeLimit(item.config.getoption("fix_timeout"), fix.files, item.funcargs.get("db"))
    spy = Delegation(case.fixes, fix.files) if fix.attempt is None or fix.attempt.name != "Reference" else None
    error = None
    try:
        with limit, spy or nullcontext():
            result = yield
    except BaseException as err:  # noqa: B036 - kept, and re-raised below unless a verdict comes first
        error = err
    if limit.fired:  # these two verdicts replace the test's own outcome
        raise Hung(limit.fired, pytrace=False) from None
    if spy and spy.message():
        pytest.fail(spy.message(), pytrace=False)
    if error is not None:
        raise error
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    case = case_of(item)
    said = call.excinfo.exconly().strip().splitlines()[0][:200] if call.excinfo else ""
    if case is not None and item.config.getoption("student"):
        report.exercise, report.said = f"{case.session}/{case.name}", said.removeprefix("Failed: ")
    fix = item.stash.get(FIX, None)
    if report.when == "call" and fix is not None and fix.attempt is not None:
        a = fix.attempt
        report.attempt = {"case": a.case, "name": a.name, "verdict": a.verdict, "why": a.why,
                          "caught_by": a.caught_by, "test": item.originalname, "said": said}
        if a.verdict == WRONG and report.failed:  # expected: this attempt is wrong
            report.outcome, report.wasxfail = "skipped", f"wrong attempt {a.name}: {a.why}"
            report.attempt["caught"] = True
    return report


class Verdicts:
    """Collects each attempt's outcomes (from xdist workers too) and checks its verdict."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, str], list[dict]] = defaultdict(list)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = getattr(report, "attempt", None)
        if info is not None:
            self.runs[info["case"], info["name"]].append({**info, "outcome": report.outcome})

    def problems(self) -> list[str]:
        found = []
        for (case, name), runs in sorted(self.runs.items()):
            first = runs[0]
            if first["verdict"] == RIGHT:
                found += [f"{case} {name} is right ({first['why']}) but {r['test']} failed: {r['said']}"
                          for r in runs if r["outcome"] == "failed"]
            elif not any(r.get("caught") and first["caught_by"] in r["test"] for r in runs):
                failed = sorted({r["test"] for r in runs if r.get("caught")})
                found.append(f"{case} {name} is wrong ({first['why']}) but no right-hand test named "
                             f"*{first['caught_by']}* failed" + (f" (only {', '.join(failed)})" if failed else
                                                                 ": every right-hand test passed"))
        return found

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.section("attempts")
        per_case = defaultdict(lambda: {RIGHT: 0, WRONG: 0})
        for (case, _), runs in self.runs.items():
            per_case[case][runs[0]["verdict"]] += 1
        for case, n in sorted(per_case.items()):
            terminalreporter.write_line(f"{case}: {n[WRONG]} wrong attempts, {n[RIGHT]} right attempts")
            for (_, name), runs in sorted((k, v) for k, v in self.runs.items() if k[0] == case):
                caught = [r for r in runs if r.get("caught") and runs[0]["caught_by"] in r["test"]][:1]
                terminalreporter.write_line(f"    {runs[0]['verdict']:5} {name}: " + (
                    f"red in {caught[0]['test']}: {caught[0]['said']}" if caught else runs[0]["why"]))
        problems = self.problems()
        for line in problems:
            terminalreporter.write_line(f"VERDICT WRONG: {line}", red=True)
        terminalreporter.write_line(f"attempts: {len(self.runs) - len(problems)}/{len(self.runs)} graded as due")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.problems() and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

