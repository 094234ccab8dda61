"""Attempts at missing_file (spoilers): what students hand in, and the verdict due."""
import os
from pathlib import Path

from failurelab.attempts import right, wrong
from sessions.session1.reader import SourceFileMissing

NEXT = "make a sample with: python -m failurelab.sampledata online_retail.csv"


@wrong("Path.exists() is true for a directory too: a folder named like the file passes the check",
       caught_by="refuses_a_directory")
class ExistsAcceptsADirectory:
    def check_source(path):
        resolved = Path(path).resolve()
        if not resolved.exists():
            raise SourceFileMissing(f"input file {resolved} does not exist (working directory {Path.cwd()}); {NEXT}")
        return resolved


@wrong("raises the builtin FileNotFoundError: callers cannot tell an input problem from a bug",
       caught_by="naming_path_cwd_and_next_step")
class BuiltinError:
    def check_source(path):
        resolved = Path(path).resolve()
        if not resolved.is_file():
            raise FileNotFoundError(f"input file {resolved} does not exist (working directory {Path.cwd()}); {NEXT}")
        return resolved


@wrong("names the path as given: a relative path says nothing about where it was looked for",
       caught_by="naming_path_cwd_and_next_step")
class PathAsGiven:
    def check_source(path):
        if not Path(path).is_file():
            raise SourceFileMissing(f"input file {path} does not exist; {NEXT}")
        return Path(path)


@wrong("Path.absolute() does not resolve: '/srv/job/../data/x.csv' is returned and named, '..' and all",
       caught_by="naming_path_cwd_and_next_step")
class AbsoluteNotResolved:
    def check_source(path):
        full = Path(path).absolute()
        if not full.is_file():
            raise SourceFileMissing(f"input file {full} does not exist (working directory {Path.cwd()}); {NEXT}")
        return full


@wrong("names the absolute path and the next step but not the working directory",
       caught_by="naming_path_cwd_and_next_step")
class NoWorkingDirectory:
    def check_source(path):
        resolved = Path(path).resolve()
        if not resolved.is_file():
            raise SourceFileMissing(f"input file {resolved} does not exist; {NEXT}")
        return resolved


@wrong("says where but not what to do next", caught_by="naming_path_cwd_and_next_step")
class NoNextStep:
    def check_source(path):
        resolved = Path(path).resolve()
        if not resolved.is_file():
            raise SourceFileMissing(f"input file {resolved} does not exist (working directory {Path.cwd()})")
        return resolved


@wrong("names the directory the code lives in, not the working directory a relative path is resolved from",
       caught_by="naming_path_cwd_and_next_step")
class ScriptDirectoryInsteadOfCwd:
    def check_source(path):
        resolved = Path(path).resolve()
        if not resolved.is_file():
            here = Path(__file__).resolve().parent
            raise SourceFileMissing(f"input file {resolved} does not exist (running from {here}); {NEXT}")
        return resolved


@wrong("checks the file but hands back the path as given: later steps and logs see a relative path",
       caught_by="accepts_an_existing_file_and_resolves_it")
class ReturnsThePathAsGiven:
    def check_source(path):
        resolved = Path(path).resolve()
        if not resolved.is_file():
            raise SourceFileMissing(f"input file {resolved} does not exist (working directory {Path.cwd()}); {NEXT}")
        return Path(path)


@wrong("returns a str, not the pathlib.Path the signature promises", caught_by="accepts_an_existing_file")
class ReturnsAString:
    def check_source(path):
        resolved = os.path.realpath(path)
        if not os.path.isfile(resolved):
            raise SourceFileMissing(f"input file {resolved} does not exist (working directory {os.getcwd()}); {NEXT}")
        return resolved


@wrong("string handling only: a pathlib.Path argument crashes with AttributeError",
       caught_by="accepts_an_existing_file_and_resolves_it")
class StrOnly:
    def check_source(path):
        full = path if path.startswith("/") else os.path.normpath(os.path.join(os.getcwd(), path))
        if not os.path.isfile(full):
            raise SourceFileMissing(f"input file {full} does not exist (working directory {os.getcwd()}); {NEXT}")
        return Path(full)


@wrong("a directory gets a different error class (IsADirectoryError from open()), not SourceFileMissing",
       caught_by="refuses_a_directory")
class OpensItAndLetsADirectoryThrough:
    def check_source(path):
        resolved = Path(path).resolve()
        try:
            with open(resolved, "rb"):
                pass
        except FileNotFoundError:
            raise SourceFileMissing(f"input file {resolved} does not exist (working directory {Path.cwd()}); "
                                    f"{NEXT}") from None
        return resolved


@right("os.path and os.getcwd instead of pathlib")
class WithOsPath:
    def check_source(path):
        full = os.path.abspath(os.path.expanduser(os.fspath(path)))
        if os.path.isfile(full):
            return Path(full)
        raise SourceFileMissing(f"input file {full} does not exist (working directory {os.getcwd()}): check the "
                                f"path, or {NEXT}")


@right("tries to open the file and turns any OSError (missing, a directory, ...) into SourceFileMissing")
class OpensItToCheck:
    def check_source(path):
        resolved = Path(path).resolve()
        try:
            with resolved.open("rb"):
                pass
        except OSError as err:
            raise SourceFileMissing(f"cannot use {resolved} as the input ({err.strerror}); relative paths are "
                                    f"resolved from {Path.cwd()}. Fix the path or {NEXT}") from err
        return resolved


@right("resolve(strict=True) plus is_dir(), with a message in other words and the cwd first")
class StrictResolve:
    def check_source(path):
        try:
            resolved = Path(path).resolve(strict=True)
        except FileNotFoundError:
            resolved = None
        if resolved is None or resolved.is_dir():
            shown = Path(os.path.normpath(Path.cwd() / Path(path).expanduser()))
            raise SourceFileMissing(f"cwd={Path.cwd()}: no input file at {shown}. Next: {NEXT}")
        return resolved
