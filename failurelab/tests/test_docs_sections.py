"""Each session README keeps the plan's learning sections, and its exercises follow the course.

"Learning Exercises" lists every case of the session's COURSE_ORDER, once, in that
order: a case added to the course without its exercise (or moved) fails here.
"""
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = sorted(p.name for p in ROOT.glob("sessions/session*"))
PATTERNS = ('"It works on my machine"', '"It worked yesterday"', '"It works with sample data"')


def section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n") + len(heading)
    stop = re.compile(rf"^#{{1,{len(level)}}} ", re.M).search(text, start)
    return text[start:stop.start() if stop else len(text)]


@pytest.mark.parametrize("session", SESSIONS)
def test_the_readme_has_the_three_error_patterns_each_tied_to_its_cases(session):
    readme = (ROOT / "sessions" / session / "README.md").read_text()
    patterns = section(readme, "### Common Error Patterns")
    for pattern in PATTERNS:
        assert f"#### {pattern}" in patterns, f"sessions/{session}/README.md lacks the pattern {pattern}"
        assert re.search(r"\]\(cases/test_\w+\.py\)", section(patterns, f"#### {pattern}")), \
            f"sessions/{session}/README.md: {pattern} names none of the session's cases"


@pytest.mark.parametrize("session", SESSIONS)
def test_the_learning_exercises_follow_the_course_order(session):
    readme = (ROOT / "sessions" / session / "README.md").read_text()
    exercises = section(readme, "### Learning Exercises")
    listed = re.findall(r"^\s*\d+\. \*\*\[`(\w+)`\]", exercises, re.M)
    order = importlib.import_module(f"sessions.{session}.cases").COURSE_ORDER
    assert listed == list(order), f"sessions/{session}/README.md: exercises {listed}, course order {list(order)}"


@pytest.mark.parametrize("session", SESSIONS)
def test_the_notes_have_production_considerations(session):
    notes = section((ROOT / "sessions" / session / "Notes.md").read_text(), "### Production considerations")
    for part in ("#### Monitoring and alerting", "#### Error budget", "#### Where"):
        assert part in notes, f"sessions/{session}/Notes.md: Production considerations lacks {part!r}"
