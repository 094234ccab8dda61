"""The course's conventions, checked (in the spirit of rustlings' `dev check`)."""
import inspect
import os
import re
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import pytest

from failurelab import docs
from failurelab.cases import CATEGORIES, SECTIONS, discover
from failurelab.course import exercises

ROOT = Path(__file__).resolve().parents[2]
CASES = discover()


def case_id(case):
    return f"{case.session}/{case.name}"


def test_every_session_has_cases_a_readme_and_notes():
    for session in sorted((ROOT / "sessions").glob("session*")):
        assert (session / "README.md").is_file() and (session / "Notes.md").is_file(), session
    assert CASES


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_carries_its_marker_texts_and_a_wrong_right_pair(case):
    assert case.marker is not None and case.category in CATEGORIES
    assert case.fixes and all(callable(fn) for fn in case.fixes)
    assert case.title and set(case.sections) == set(SECTIONS) and all(case.sections.values())
    tests = [n for n, f in vars(case.module).items() if n.startswith("test_") and callable(f)]
    assert tests and all(re.match(rf"test_(wrong|right)_{case.name}(_|$)", n) for n in tests), tests
    assert any(n.startswith(f"test_wrong_{case.name}") for n in tests)
    assert any(n.startswith(f"test_right_{case.name}") for n in tests)
    uses_solution = [n for n in tests if n.startswith("test_right_") and
                     "solution" in inspect.signature(getattr(case.module, n)).parameters]
    assert uses_solution, "a right-hand test must exercise the `solution` fixture"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_wrong_side_expects_an_exact_error(case):
    expectations = case.expectations()
    assert expectations, "the wrong-hand tests must use failure.expect(...)"
    for e in expectations:
        assert e.match, f"{e.error}: give a regex on the stable part of the message"
        if "psycopg2.errors." in e.error:  # a server error class; connection errors carry no SQLSTATE
            assert e.pgcode, f"{e.error}: a database error is asserted with its SQLSTATE"


@pytest.mark.parametrize("exercise", exercises(), ids=lambda e: e.key)
def test_case_has_a_pristine_stub_with_the_same_signatures(exercise):
    """The pristine copy is checked, never the student's working copy (which a finished course has changed)."""
    case = exercise.case
    spec = spec_from_file_location(f"pristine_{case.session}_{case.name}", exercise.pristine)
    stub = module_from_spec(spec)
    spec.loader.exec_module(stub)
    for fn in case.fixes:
        mine = getattr(stub, fn.__name__, None)
        assert mine is not None, f"{exercise.pristine} lacks {fn.__name__}"
        assert inspect.signature(mine) == inspect.signature(fn)
        assert f"NotImplementedError(\"TODO({case.name})" in inspect.getsource(mine)
    assert exercise.path.is_file(), f"{exercise.path} is missing: python -m failurelab reset {case.name}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_has_at_least_two_graded_hints(case):
    assert len(case.hints) >= 2, f"{case_id(case)}: give a Hints: section with two or more '- ' items"


def test_generated_tables_match_the_cases():
    assert docs.stale(CASES) == []


def test_no_sys_path_hacks_and_no_package_named_code():
    hack = re.compile(r"sys\.path\.(append|insert)\(")
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                assert not hack.search(Path(folder, name).read_text()), Path(folder, name)
    assert not (ROOT / "code").exists() and not list(ROOT.glob("sessions/*/code"))
