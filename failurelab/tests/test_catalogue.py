"""The graders' conventions, checked: every case has attempts, and its right-hand tests speak to students.

The verdicts themselves are proved by ``pytest --attempts`` (run by .ci/run).
"""
import ast
import inspect

import pytest

from failurelab.attempts import RIGHT, WRONG, catalogue
from failurelab.cases import discover

CASES = discover()


def case_id(case):
    return f"{case.session}/{case.name}"


def right_hand_tests(case):
    """(name, ast node) of each right-hand test that grades the fix (Case.right_hand_tests names them)."""
    names = set(case.right_hand_tests())
    return [(f.name, f) for f in ast.parse(inspect.getsource(case.module)).body
            if isinstance(f, ast.FunctionDef) and f.name in names]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_case_has_three_wrong_attempts_and_a_right_one_written_differently(case):
    attempts = catalogue(case)
    verdicts = [a.verdict for a in attempts]
    assert verdicts.count(WRONG) >= 3, f"{case_id(case)}: write at least three plausible wrong fixes"
    assert verdicts.count(RIGHT) >= 1, f"{case_id(case)}: write a correct fix that differs from the reference"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_attempts_say_why_in_one_line_and_which_test_catches_them(case):
    tests = case.right_hand_tests()
    for a in catalogue(case):
        assert a.why and "\n" not in a.why and len(a.why) <= 200, f"{a.name}: one line says why"
        if a.verdict == WRONG:
            assert a.caught_by and any(a.caught_by in t for t in tests), (
                f"{a.name}: caught_by={a.caught_by!r} names no right-hand test of {case_id(case)}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_attempts_have_the_fix_signatures(case):
    for a in catalogue(case):
        for mine, reference in zip(a.functions, case.fixes):
            assert list(inspect.signature(mine).parameters) == list(inspect.signature(reference).parameters), (
                f"{a.name}.{reference.__name__}: parameters differ from the reference's")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_right_hand_tests_fail_in_words(case):
    """Every assert carries a message; an error the fix must raise is checked with must_raise."""
    for name, node in right_hand_tests(case):
        for n in ast.walk(node):
            assert not (isinstance(n, ast.Assert) and n.msg is None), (
                f"{name}, line {n.lineno}: give the assert a message a student can act on")
            if isinstance(n, ast.With) and any("pytest.raises" in ast.unparse(i.context_expr) for i in n.items):
                calls_fix = any(isinstance(x, ast.Name) and x.id == "solution" for s in n.body for x in ast.walk(s))
                assert not calls_fix, f"{name}, line {n.lineno}: use failurelab.expect.must_raise around the fix"
