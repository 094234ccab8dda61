"""Grading, seen from a pytest run of its own on a tiny course: verdicts, delegation, hangs."""
import textwrap

import pytest

from failurelab.tests.test_plugin import ROOT

CASE = '''"""Doubling.

Scenario:
    A number must be doubled.
Why:
    Adding it to itself was forgotten.
Fix:
    Return twice the number.
"""
import pytest

from course.session9 import lib

pytestmark = pytest.mark.failure_case("business_logic", fix=lib.double)


def test_wrong_double_fails_for_real(failure):
    with failure.expect(ValueError, match="^bad$"):
        raise ValueError("bad")


def test_right_double_doubles(solution):
    assert solution.double(21) == 42, "double(21) should be 42"
'''
ATTEMPTS = '''
from failurelab.attempts import right, wrong


@wrong("adds one instead of doubling", caught_by="doubles")
class AddsOne:
    def double(x):
        return x + 1


@{verdict}("multiplies by two", **{extra})
class TimesTwo:
    def double(x):
        return x * 2
'''
STUBS = {
    "todo": 'def double(x):\n    raise NotImplementedError("TODO(double): write double")\n',
    "mine": "def double(x):\n    return x + x\n",
    "delegates": "from course.session9 import lib\n\n\ndef double(x):\n    return lib.double(x)\n",
    "imports": "from course.session9.lib import double\n",
    "hangs": "import time\n\n\ndef double(x):\n    while True:\n        time.sleep(0.05)\n",
}


@pytest.fixture
def course(pytester, monkeypatch):
    """A one-case course in a folder of its own; ``run(stub=..., attempts=...)`` grades it."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeini("[pytest]\npythonpath = .\n")
    pytester.makeconftest('pytest_plugins = ["failurelab.grading", "failurelab.plugin"]\n')
    for package in ("course", "course/session9", "course/session9/cases", "course/session9/cases/attempts",
                    "course/session9/student"):
        pytester.mkpydir(package)
    (pytester.path / "course/session9/lib.py").write_text("def double(x):\n    return 2 * x\n")
    (pytester.path / "course/session9/cases/test_double.py").write_text(CASE)

    def run(*args, stub="todo", verdict="right", extra="{}"):
        (pytester.path / "course/session9/student/double.py").write_text(STUBS[stub])
        (pytester.path / "course/session9/cases/attempts/double.py").write_text(
            textwrap.dedent(ATTEMPTS).replace("{verdict}", verdict).replace("{extra}", extra))
        return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)
    return run


def test_attempts_are_graded_and_the_run_is_green_when_every_verdict_is_due(course):
    result = course("--attempts")
    result.assert_outcomes(passed=2, xfailed=2)  # Reference and TimesTwo pass; AddsOne and the delegation are red
    result.stdout.fnmatch_lines(["*wrong AddsOne: red in test_right_double_doubles: AssertionError: double(21) *",
                                 "*wrong DelegatesToTheReference: red in test_right_double_doubles: Failed: not fixed "
                                 "yet: your fix calls the reference course.session9.lib.double*", "attempts: 4/4 graded as due"])
    assert result.ret == 0


def test_a_wrong_attempt_that_passes_fails_the_run(course):
    result = course("--attempts", verdict="wrong", extra="{'caught_by': 'doubles'}")
    result.stdout.fnmatch_lines(["VERDICT WRONG: session9/double TimesTwo is wrong (multiplies by two) but no "
                                 "right-hand test named *doubles* failed: every right-hand test passed",
                                 "attempts: 3/4 graded as due"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize("stub, said", [
    ("delegates", "not fixed yet: your fix calls the reference course.session9.lib.double (called at course/session9/student/"
                  "double.py:5 in double); write the fix yourself*"),
    ("imports", "not fixed yet: course.session9.student.double.double is the reference course.session9.lib.double itself; "
                "write your own"),
    ("hangs", "your fix did not finish within 1 s and was stopped at course/session9/student/double.py:6 in "
              "double: a wait without a bound*"),
])
def test_a_student_fix_that_delegates_or_hangs_is_not_fixed_and_told_why_in_one_line(course, stub, said):
    result = course("--student", "--fix-timeout", "1", stub=stub)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"*{said}"])


def test_a_student_fix_of_their_own_is_fixed(course):
    course("--student", stub="mine").assert_outcomes(passed=2)
