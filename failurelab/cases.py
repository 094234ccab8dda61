"""What a failure case is, read from its own module: one source of truth.

A case is a test module ``sessions/<session>/cases/test_<case>.py`` whose
docstring has a title line and the sections ``Scenario:``, ``Why:`` and
``Fix:``, and whose ``pytestmark`` carries ``failure_case(category, fix=...)``.
The plugin prints from here, the docs tables are generated from here, and the
self-check enforces it.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

CATEGORIES = {
    "infrastructure": "files, network, servers and time: the world around the pipeline",
    "data_quality": "the input is not what the code assumed",
    "configuration": "settings, credentials and code that must be right before the run",
    "business_logic": "the data is well-formed but breaks a rule of the business or the model",
}
SECTIONS = ("Scenario", "Why", "Fix")
_SECTION = re.compile(rf"^({'|'.join(SECTIONS)}|Hints):\s*$", re.M)
_HINT = re.compile(r"^- ", re.M)


@dataclass(frozen=True)
class Expectation:
    """One ``failure.expect(...)`` of a wrong-hand test, as written in the source."""

    error: str
    pgcode: str | None
    match: str | None


def _pattern(node: ast.expr):
    """A keyword's value as written: a constant as is, an f-string regex with each {value} as ``.+?``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else ".+?" for v in node.values)
    return ast.unparse(node)


@dataclass(frozen=True)
class Case:
    module: ModuleType

    @property
    def name(self) -> str:
        return self.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")

    @property
    def session(self) -> str:
        return self.module.__name__.split(".")[1]

    @property
    def marker(self):
        marks = getattr(self.module, "pytestmark", [])
        marks = marks if isinstance(marks, list) else [marks]
        return next((m.mark for m in marks if m.mark.name == "failure_case"), None)

    @property
    def category(self) -> str:
        return self.marker.args[0]

    @property
    def fixes(self) -> list:
        fix = self.marker.kwargs["fix"]
        return list(fix) if isinstance(fix, (list, tuple)) else [fix]

    @property
    def title(self) -> str:
        return (self.module.__doc__ or "").strip().splitlines()[0].rstrip(".")

    def _parts(self) -> dict[str, str]:
        parts = _SECTION.split(inspect.cleandoc(self.module.__doc__ or ""))
        return dict(zip(parts[1::2], parts[2::2]))

    @property
    def sections(self) -> dict[str, str]:
        """Scenario, Why and Fix: the explanation, one paragraph each."""
        return {head: " ".join(body.split()) for head, body in self._parts().items() if head in SECTIONS}

    @property
    def hints(self) -> list[str]:
        """The ``Hints:`` section's items (each starts with "- "), gentlest first, none of them the answer."""
        items = _HINT.split(inspect.cleandoc(self._parts().get("Hints", "")))
        return [" ".join(item.split()) for item in items if item.strip()]

    @property
    def student_module(self) -> str:
        return self.module.__name__.replace(".cases.test_", ".student.")

    def expectations(self) -> list[Expectation]:
        """Every ``failure.expect(...)`` call in the module's wrong-hand tests."""
        found = []
        for node in ast.walk(ast.parse(inspect.getsource(self.module))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "expect" and ast.unparse(node.func.value) == "failure"):
                kw = {k.arg: _pattern(k.value) for k in node.keywords}
                found.append(Expectation(ast.unparse(node.args[0]), kw.get("pgcode"), kw.get("match")))
        return found

    def right_hand_tests(self) -> list[str]:
        """The names of the right-hand tests that grade a fix (they take the ``solution`` fixture)."""
        tree = ast.parse(inspect.getsource(self.module))
        return [f.name for f in tree.body if isinstance(f, ast.FunctionDef) and f.name.startswith("test_right_")
                and "solution" in [a.arg for a in f.args.args]]

    def fix_sources(self) -> list[tuple[str, str]]:
        """(where, source) of each reference fix, straight from the code that runs."""
        root = Path(__file__).resolve().parent.parent
        out = []
        for fn in map(inspect.unwrap, self.fixes):  # a decorated fix: show the code written, not the wrapper
            path = Path(inspect.getsourcefile(fn)).resolve().relative_to(root)
            line = inspect.getsourcelines(fn)[1]
            out.append((f"{path.as_posix()}:{line} {fn.__name__}", inspect.getsource(fn)))
        return out


def course_order(session_cases: str) -> tuple[str, ...]:
    """A session's case names in the order students meet them (``COURSE_ORDER`` of its ``cases`` package)."""
    return tuple(importlib.import_module(session_cases).COURSE_ORDER)


def discover(root: Path | None = None) -> list[Case]:
    """All cases of all sessions, in course order: session by session, each in its COURSE_ORDER."""
    root = root or Path(__file__).resolve().parent.parent
    cases = []
    for folder in sorted(root.glob("sessions/session*/cases"), key=lambda p: int(p.parent.name[7:] or 0)):
        package = ".".join(folder.relative_to(root).parts)
        found = {p.stem.removeprefix("test_") for p in folder.glob("test_*.py")}
        order = course_order(package)
        if set(order) != found:  # a case missing from the order would never be met
            raise ValueError(f"{package}.COURSE_ORDER lists {sorted(set(order))}, the folder has {sorted(found)}")
        cases += [Case(importlib.import_module(f"{package}.test_{name}")) for name in order]
    return cases
