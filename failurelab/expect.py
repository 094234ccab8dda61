"""What a right-hand test expects, said in words a student can act on."""
from __future__ import annotations

import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest


@contextmanager
def must_raise(kind: type[BaseException], because: str, match: str | None = None):
    """Like ``pytest.raises``, but a wrong outcome is told in words a student can act on.

    ``because`` says what the fix must do (``"a directory is not an input file"``);
    ``match`` is a regex searched in the message. Gives ``.value``, the error.
    """
    caught = SimpleNamespace(value=None)
    try:
        yield caught
    except kind as err:
        caught.value = err
    except Exception as err:
        first = (str(err).strip().splitlines() or [""])[0]
        pytest.fail(f"{because}: expected {kind.__name__}, but your fix raised {type(err).__name__}: {first}",
                    pytrace=False)
    else:
        pytest.fail(f"{because}: expected {kind.__name__}, but your fix raised nothing", pytrace=False)
    if match is not None and not re.search(match, str(caught.value)):
        pytest.fail(f"{because}: the {kind.__name__} should match {match!r}; yours says {str(caught.value)!r}",
                    pytrace=False)


def shows_behind(err: BaseException, kind: type[BaseException]) -> bool:
    """Whether the traceback of ``err`` shows a ``kind`` error behind it (``raise ... from``, or raised in handling)."""
    behind = err.__cause__ if err.__cause__ is not None else (None if err.__suppress_context__ else err.__context__)
    return isinstance(behind, kind)
