"""The failure-case plugin: annotate a case, expect its real error, explain it.

* ``failure_case(category, fix=...)`` marks a case module; the category also
  becomes a marker of its own, so ``-m data_quality`` selects those cases.
* the ``failure`` fixture's ``expect(...)`` asserts the exact error (class,
  SQLSTATE, message) and records it, so the explanation shows what really
  happened.
* with ``-s`` the first wrong-hand test of a case to finish prints the case's
  explanation block, the others what they saw; without it, one summary line.
* the fix under test is ``failurelab.grading``'s business, the summary of a
  ``--student`` run ``failurelab.studentmode``'s (which runs no wrong-hand
  test, so a student never sees the reference there).
"""
from __future__ import annotations

import re
import sys
import textwrap
from collections import defaultdict
from contextlib import contextmanager

import pytest

from failurelab.cases import CATEGORIES, Case
from failurelab.grading import case_of

SYMBOLS = {"error": ("❌", "[X]"), "why": ("📚", "[WHY]"), "fix": ("🔧", "[FIX]"), "right": ("✅", "[OK]")}
_SECRET = re.compile(
    r"(?P<key>password\s*[=:]\s*)\S+"  # password=... in a DSN or a log line
    r"|(?P<url>://[^:/@\s]+:)\S+(?=@)"  # user:password@ in a URL (up to the last @: a password may hold @)
    r'|(?P<host>host name ")[^"]*(?=@)',  # the rest of a URL password libpq took for a host name
    re.I)


def redact(text: str) -> str:
    """Blank out anything that looks like a password, however it got into a message."""
    return _SECRET.sub(lambda m: f"{m['key'] or m['url'] or m['host']}***", text)


def symbols(encoding: str | None) -> dict[str, str]:
    """Emoji where the terminal can encode them, plain ASCII markers elsewhere."""
    try:
        "".join(fancy for fancy, _ in SYMBOLS.values()).encode(encoding or "ascii")
        return {k: fancy for k, (fancy, _) in SYMBOLS.items()}
    except (UnicodeEncodeError, LookupError):
        return {k: plain for k, (_, plain) in SYMBOLS.items()}


class Failure:
    """Expect one real error and keep it for the explanation."""

    def __init__(self) -> None:
        self.seen: list[BaseException] = []

    @contextmanager
    def expect(self, error: type[BaseException], *, pgcode: str | None = None, match: str | None = None):
        with pytest.raises(error, match=match) as info:
            yield info
        assert getattr(info.value, "pgcode", None) == pgcode, (
            f"expected SQLSTATE {pgcode}, got {getattr(info.value, 'pgcode', None)}: {info.value}")
        self.seen.append(info.value)


def describe(exc: BaseException) -> str:
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
    code = f" [SQLSTATE {exc.pgcode}]" if getattr(exc, "pgcode", None) else ""
    return redact(f"{kind}{code}: {str(exc).strip()}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "failure_case(category, fix): a module teaching one failure; fix names the "
                            "reference fix function(s). Example: pytestmark = pytest.mark.failure_case("
                            "'infrastructure', fix=reader.check_source)")
    for name, what in CATEGORIES.items():
        config.addinivalue_line("markers", f"{name}: failure cases about {what}. Example: pytest -m {name}")
    config.pluginmanager.register(CaseReporter(config), "failurelab-case-reporter")


SEEN = pytest.StashKey[Failure]()


def pytest_itemcollected(item: pytest.Item) -> None:
    mark = item.get_closest_marker("failure_case")
    if mark is not None:
        if not mark.args or mark.args[0] not in CATEGORIES:
            raise pytest.UsageError(f"{item.nodeid}: failure_case needs a category, one of {', '.join(CATEGORIES)}")
        item.add_marker(mark.args[0])


@pytest.fixture
def failure(request: pytest.FixtureRequest) -> Failure:
    """Expect a case's real error: ``with failure.expect(Error, pgcode=..., match=...)``."""
    request.node.stash[SEEN] = Failure()
    return request.node.stash[SEEN]


def _para(text: str) -> str:
    return textwrap.fill(text, width=88, initial_indent="   ", subsequent_indent="   ")


def what_happened(test: str, errors: list[BaseException], sym: dict[str, str]) -> str:
    if not errors:  # the worst kind: nothing raised, the test shows what went wrong silently
        said = test.removeprefix("test_wrong_").replace("_", " ")
        return f"{sym['error']} WHAT HAPPENED in {test} (no error at all: a silent failure)\n   {said}"
    lines = [f"{sym['error']} WHAT HAPPENED in {test} (the real error)"]
    return "\n".join(lines + [f"   {describe(e)}".replace("\n", "\n   ") for e in errors])


def explanation(case: Case, happened: str, sym: dict[str, str]) -> str:
    lines = [f"{'=' * 8} FAILURE CASE {case.session}/{case.name} [{case.category}] {'=' * 8}", case.title,
             _para(case.sections.get("Scenario", "")), happened]
    lines += [f"{sym['why']} WHY", _para(case.sections.get("Why", "")),
              f"{sym['fix']} HOW TO FIX", _para(case.sections.get("Fix", ""))]
    for where, source in case.fix_sources():  # never in --student runs: they run no wrong-hand test
        lines += [f"{sym['right']} CORRECT APPROACH ({where})", *("   " + s for s in source.rstrip().splitlines())]
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    case = case_of(item)
    if case is not None and report.when == "call":
        side = next((s for s in ("wrong", "right") if item.name.startswith(f"test_{s}_")), None)
        report.failure_case = {"session": case.session, "case": case.name, "side": side}
        seen = item.stash.get(SEEN, None)
        shown = item.config.getoption("capture") == "no"  # only -s prints it: build it only then
        if side == "wrong" and report.passed and shown:
            encoding = getattr(sys.__stdout__, "encoding", None) or "ascii"
            sym = symbols(encoding)
            happened = what_happened(item.name, seen.seen if seen else [], sym)
            texts = {"happened": happened, "text": explanation(case, happened, sym)}
            # a message may carry a £ or an accent the terminal cannot show: escape, never crash
            report.failure_case.update({k: v.encode(encoding, "backslashreplace").decode(encoding)
                                        for k, v in texts.items()})
    return report


class CaseReporter:
    """Prints explanations as reports arrive (also from xdist workers) and sums up."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        self.told: set[tuple[str, str]] = set()  # cases whose whole block was printed

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = getattr(report, "failure_case", None)
        if not info or not info.get("side"):
            return
        key = (info["session"], info["case"])
        if self.config.getoption("capture") == "no" and info.get("text"):
            # the whole block once per case, whichever test comes first; the others add what they saw
            tr = self.config.pluginmanager.get_plugin("terminalreporter")
            tr.write_line("")
            tr.write_line(info["happened"] if key in self.told else info["text"])
            self.told.add(key)
        self.outcomes[key][info["side"]].append(report.passed)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.outcomes or self.config.getoption("attempts"):  # grading.Verdicts sums those up
            return
        if self.config.getoption("student"):  # failurelab.studentmode sums those up
            return
        wrong = [all(s["wrong"]) for s in self.outcomes.values() if s["wrong"]]
        right = [all(s["right"]) for s in self.outcomes.values() if s["right"]]
        terminalreporter.write_line(
            f"failure cases: {sum(wrong)}/{len(wrong)} wrong paths raised their real error, "
            f"{sum(right)}/{len(right)} right paths held (read one: pytest -k NAME -s)")
