"""A case's catalogue of attempts: fixes a student might write, with the verdict due.

Each case ``sessions/<session>/cases/test_<case>.py`` has a catalogue
``sessions/<session>/cases/attempts/<case>.py``: classes, one per attempt, whose
methods are plain functions with the names and signatures of the case's fix
(``def check_source(path): ...``, no ``self``: they are called on the class).

    @wrong("Path.exists() is true for a directory too", caught_by="refuses_a_directory")
    class ExistsAcceptsADirectory:
        def check_source(path): ...

    @right("os.path instead of pathlib")
    class WithOsPath:
        def check_source(path): ...

``pytest --attempts`` runs every case's right-hand tests against each attempt:
a wrong one must fail the right-hand test named by ``caught_by`` (a part of its
name), a right one must pass them all. Two attempts are added to every case:
the reference fix (right) and a fix that only calls the reference (wrong).
A wrong attempt for a case with several fix functions subclasses a right one
and overrides the function it gets wrong.
"""
from __future__ import annotations

import functools
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from failurelab.cases import Case

RIGHT, WRONG = "right", "wrong"


def _verdict(verdict: str, why: str, caught_by: str | None = None):
    def mark(cls):
        cls.__attempt__ = (verdict, why, caught_by)
        return cls
    return mark


def wrong(why: str, *, caught_by: str):
    """A plausible fix that is wrong: ``why`` says what is wrong with it in one line."""
    return _verdict(WRONG, why, caught_by)


def right(why: str):
    """A correct fix written differently from the reference: ``why`` says how."""
    return _verdict(RIGHT, why)


@dataclass(frozen=True)
class Attempt:
    case: str              # session/case
    name: str
    verdict: str           # RIGHT or WRONG
    why: str
    caught_by: str | None  # wrong attempts: a part of the right-hand test name that must fail
    functions: tuple       # the fix's functions, in the case's order

    @property
    def namespace(self) -> SimpleNamespace:
        return SimpleNamespace(**{fn.__name__: fn for fn in self.functions})

    @property
    def id(self) -> str:
        return f"{self.verdict}:{self.name}"


def catalogue_module(case: Case) -> str:
    return case.module.__name__.replace(".cases.test_", ".cases.attempts.")


def _delegating(fn):
    """A 'fix' that only calls the reference: what a student may hand in to get green."""
    @functools.wraps(fn)
    def delegating(*args, **kwargs):
        return fn(*args, **kwargs)
    return delegating


def builtin(case: Case) -> list[Attempt]:
    key = f"{case.session}/{case.name}"
    return [Attempt(key, "Reference", RIGHT, "the reference fix itself", None, tuple(case.fixes)),
            Attempt(key, "DelegatesToTheReference", WRONG, "calls the reference instead of doing the work",
                    case.right_hand_tests()[0], tuple(_delegating(fn) for fn in case.fixes))]


def _from_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # classes and dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def catalogue(case: Case, folder: Path | None = None) -> list[Attempt]:
    """The case's own attempts, in the order they are written; from ``folder/<session>/<case>.py`` if given."""
    if folder is not None:
        path = Path(folder, case.session, f"{case.name}.py")
        if not path.is_file():
            return []
        module = _from_file(path, f"failurelab_extra_attempts.{case.session}.{case.name}")
    else:
        try:
            module = importlib.import_module(catalogue_module(case))
        except ModuleNotFoundError as err:  # the self-check requires a catalogue; grading works without
            if err.name != catalogue_module(case):
                raise
            return []
    found = []
    for name, cls in vars(module).items():
        if inspect.isclass(cls) and cls.__module__ == module.__name__ and "__attempt__" in vars(cls):
            verdict, why, caught_by = cls.__attempt__
            functions = tuple(getattr(cls, fn.__name__) for fn in case.fixes)
            found.append(Attempt(f"{case.session}/{case.name}", name, verdict, why, caught_by, functions))
    return found


def attempts(case: Case, folder: Path | None = None) -> list[Attempt]:
    """The built-in attempts and the case's catalogue; with ``folder``, the attempts kept there instead."""
    return builtin(case) + catalogue(case, folder) if folder is None else catalogue(case, folder)
