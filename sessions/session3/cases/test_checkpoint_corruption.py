"""A corrupt checkpoint file.

Scenario:
    The job saves its progress to checkpoint.json after each batch, writing the
    file in place. The machine loses power (or the job is killed, or the disk
    fills up) in the middle of a write: the next run finds half a JSON document.
Why:
    Opening a file for writing truncates it at once; the new bytes arrive
    later, and nothing is on disk for sure until fsync. A crash in between
    leaves an empty or cut-off file, and json.loads fails on it (or, if the
    bytes were garbled instead, reads a wrong state and trusts it).
Fix:
    Write atomically: a temporary file in the same folder, flushed and fsynced,
    then os.replace over the old one, then fsync the folder. Store a checksum
    of the content and check it on reading; a file that fails is not trusted:
    warn, and fall back to the database (this pipeline keeps its real
    checkpoints there) or redo the batches, which is safe because the writes
    are idempotent.
Hints:
    - open(path, "w") empties the file before it writes a byte: the old
      checkpoint must stay untouched until the new one is complete.
    - Write a temporary file beside the checkpoint (same folder, same file
      system) and rename it over the old one; if anything fails, remove the
      temporary file and re-raise.
    - Valid JSON can still be wrong: store a checksum of the state next to
      it, verify it when reading, and treat every error while reading as "no
      checkpoint", with a warning.
"""
import json
import logging
import os
import re
import signal
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from failurelab.expect import must_raise
from sessions.session3 import checkpoint_file, pipeline
from sessions.session3.batches import checkpoint_status, is_done

try:
    import resource
except ImportError:  # Windows: no RLIMIT_FSIZE
    resource = None

pytestmark = pytest.mark.failure_case("infrastructure",
                                      fix=[checkpoint_file.write_checkpoint, checkpoint_file.read_checkpoint])
STATE = {"done": ["day:2010-12-01", "day:2010-12-02"], "run_id": "3f2a9c1e"}


def naive_save(path, state, crash_after: int | None = None):
    text = json.dumps(state)
    with open(path, "w") as out:  # "w" truncates first: from here on the old state is gone
        out.write(text if crash_after is None else text[:crash_after])  # the crash: only part of it got written


def test_wrong_checkpoint_corruption_half_written_file_fails_to_parse(tmp_path, failure):
    path = tmp_path / "checkpoint.json"
    naive_save(path, STATE)
    naive_save(path, {**STATE, "done": [*STATE["done"], "day:2010-12-03"]}, crash_after=20)
    with failure.expect(json.JSONDecodeError, match=r"^Unterminated string starting at: line 1 column 11 \(char 10\)$"):
        json.loads(path.read_text())


def test_wrong_checkpoint_corruption_garbled_file_is_trusted_blindly(tmp_path):
    path = tmp_path / "checkpoint.json"
    naive_save(path, STATE)
    path.write_text(path.read_text().replace("12-02", "12-09"))  # a flipped byte: still valid JSON
    assert json.loads(path.read_text())["done"][-1] == "day:2010-12-09"  # a day never loaded, now "done"


def warnings_about(caplog, path) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "session3.checkpoint" and r.levelno == logging.WARNING and str(path) in r.getMessage()]


def test_right_checkpoint_corruption_is_detected_with_a_warning(tmp_path, caplog, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    assert solution.read_checkpoint(path) == STATE, "read_checkpoint should return the state write_checkpoint saved"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["checkpoint.json"], f"write_checkpoint should leave only checkpoint.json behind, not {left}"
    path.write_text(path.read_text()[:20])
    with caplog.at_level(logging.WARNING, logger="session3.checkpoint"):
        state = solution.read_checkpoint(path)
    assert state is None, f"a torn checkpoint file must not be trusted: read_checkpoint should return None, not {state}"
    said = warnings_about(caplog, path)
    assert said and "redone if needed" in said[0] and (
            re.search(r"is corrupt\b.*\b\w+(Error|Exception)\b", said[0]) or "fails its checksum" in said[0]), (
        f"read_checkpoint should log a WARNING on 'session3.checkpoint' naming {path}, saying it 'is corrupt' with "
        f"the error's type (here JSONDecodeError) or that it 'fails its checksum', and that the batches will be "
        f"'redone if needed'; it logged {said or caplog.text or 'nothing'}")


def test_right_checkpoint_corruption_garbled_content_fails_the_checksum(tmp_path, caplog, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    path.write_text(path.read_text().replace("12-02", "12-09"))  # still valid JSON, a day never loaded
    with caplog.at_level(logging.WARNING, logger="session3.checkpoint"):
        state = solution.read_checkpoint(path)
    assert state is None, (
        f"a checkpoint whose content changed after it was written must not be trusted: store a checksum of the "
        f"state and verify it on reading; read_checkpoint returned {state}")
    said = warnings_about(caplog, path)
    assert said and "fails its checksum" in said[0], (
        f"read_checkpoint should log a WARNING on 'session3.checkpoint' naming {path} and saying it 'fails its "
        f"checksum'; it logged {said or caplog.text or 'nothing'}")
    assert solution.read_checkpoint(tmp_path / "never_written.json") is None, "a missing checkpoint reads as None"


def test_right_checkpoint_corruption_any_damage_reads_as_none(tmp_path, caplog, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    whole = path.read_bytes().rstrip()
    damaged = [("cut after %d bytes" % n, whole[:n]) for n in range(len(whole))]  # every torn write, empty included
    damaged += [("binary garbage", b"\xff\xfe\x00\x01 not a checkpoint"), ("a JSON list", b"[1, 2]"),
                ("a JSON string", b'"done"'), ("JSON null", b"null"), ("an empty object", b"{}"),
                ("the old format, without a checksum", json.dumps(STATE).encode())]
    wrong = []
    for what, content in damaged:
        path.write_bytes(content)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="session3.checkpoint"):
            try:
                state = solution.read_checkpoint(path)
            except Exception as err:
                state = f"raised {type(err).__name__}: {err}"
        if state is not None or not warnings_about(caplog, path):
            wrong.append(f"{what}: {'returned ' + repr(state) if state is not None else 'no warning naming the file'}")
    assert not wrong, (
        f"read_checkpoint must never trust nor crash on a damaged file: return None with a WARNING on "
        f"'session3.checkpoint' naming it; {len(wrong)} of {len(damaged)} damaged files went wrong: "
        + "; ".join(wrong[:5]))


@contextmanager
def files_cannot_grow_past(limit: int):
    """A real "disk full" for this process: writing past `limit` bytes fails with EFBIG (File too large)."""
    if resource is None:  # no RLIMIT_FSIZE (Windows): fail both renames instead, which every atomic write uses
        with mock.patch("os.replace", side_effect=OSError(28, "No space left on device")), \
                mock.patch("os.rename", side_effect=OSError(28, "No space left on device")):
            yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_right_checkpoint_corruption_a_failed_write_keeps_the_old_checkpoint(tmp_path, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    with must_raise(OSError, "the disk filled up during the write (no file may grow past 16 bytes): "
                             "write_checkpoint must let the error out"):
        with files_cannot_grow_past(16):
            solution.write_checkpoint(path, {**STATE, "done": [*STATE["done"], "day:2010-12-03"]})
    state = solution.read_checkpoint(path)
    assert state == STATE, (
        f"a write that failed half-way must leave the previous checkpoint whole (write a temporary file, then "
        f"os.replace it over the old one; never open the checkpoint itself for writing); it now reads {state}")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["checkpoint.json"], (
        f"a failed write must delete its temporary file (and re-raise); the folder holds {left}")


WRITES = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
OPENED_FOR_WRITING: list | None = None  # set while a test records


def _record_writes(event, args):
    if OPENED_FOR_WRITING is not None and event == "open" and not isinstance(args[0], int):
        path, mode, flags = args
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (isinstance(flags, int) and flags & WRITES):
            OPENED_FOR_WRITING.append(Path(os.path.abspath(os.fsdecode(path))))


sys.addaudithook(_record_writes)  # a hook cannot be removed: it records only while a test asks it to


def test_right_checkpoint_corruption_the_temporary_file_is_beside_the_checkpoint_and_replaces_it(
        tmp_path, monkeypatch, solution):
    global OPENED_FOR_WRITING
    folder, elsewhere = tmp_path / "state", tmp_path / "tmp"
    folder.mkdir(), elsewhere.mkdir()
    path = folder / "checkpoint.json"
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))  # the default temporary folder: another file system
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    OPENED_FOR_WRITING = []
    try:
        solution.write_checkpoint(path, STATE)
        solution.write_checkpoint(path, {**STATE, "run_id": "77aa01bc"})
        opened = OPENED_FOR_WRITING
    finally:
        OPENED_FOR_WRITING = None
    outside = sorted({str(p) for p in opened if not p.is_relative_to(folder)})
    assert not outside, (
        f"write the temporary file in the checkpoint's own folder ({folder}): a rename is atomic only within one file"
        f" system, and /tmp often is another one; yours wrote {outside}")
    assert path not in opened, (
        f"write_checkpoint opened {path} itself for writing: that empties the old checkpoint before the new one is "
        f"complete (a copy or an in-place write); write a temporary file and os.replace it over the checkpoint")
    state = solution.read_checkpoint(path)
    assert state == {**STATE, "run_id": "77aa01bc"}, f"the second write should replace the first; it reads {state}"


def test_right_checkpoint_corruption_the_file_and_its_folder_are_synced(tmp_path, monkeypatch, solution):
    """Durability shows only after a power cut; the sync calls are the only way to it, so they are recorded."""
    synced = []  # (call, is a directory?, size the OS has for the file), taken at call time

    def recorder(name, real):
        def sync(fd):
            number = fd if isinstance(fd, int) else fd.fileno()
            info = os.fstat(number)
            synced.append((name, stat.S_ISDIR(info.st_mode), info.st_size))
            return real(fd)
        return sync

    for name in ("fsync", "fdatasync"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, recorder(name, getattr(os, name)))
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    files, folders = [size for _, d, size in synced if not d], [n for n, d, _ in synced if d]
    assert files and folders, (
        f"write_checkpoint must flush and os.fsync (or os.fdatasync) the temporary file before the rename, and "
        f"os.fsync the folder after it (open it with os.open(folder, os.O_RDONLY)): without them a power cut can "
        f"leave an empty or old checkpoint although the write returned; yours synced {len(files)} file(s) and "
        f"{len(folders)} folder(s)")
    size = path.stat().st_size
    assert size in files, (
        f"write_checkpoint must flush the temporary file BEFORE os.fsync: fsync writes to disk only what the OS has, "
        f"and the bytes written with f.write/json.dump wait in Python's buffer until f.flush(); when yours synced "
        f"the file the OS had {files} byte(s) of it, the checkpoint has {size}")


def test_right_checkpoint_corruption_the_state_is_rebuilt_from_the_database(settings, bconn, batches, tmp_path,
                                                                            solution):
    path = tmp_path / "checkpoint.json"
    first = pipeline.run_batches(settings, batches[:2])  # two days loaded, and the file says so
    solution.write_checkpoint(path, {"done": [r.batch_id for r in first.loaded]})
    path.write_bytes(path.read_bytes()[:15])  # torn by a crash
    state = solution.read_checkpoint(path)
    assert state is None, f"a torn checkpoint must read as None (not trusted: ask the data instead), not {state}"
    status = checkpoint_status(bconn)  # the checkpoints kept with the data, verified against it
    done = [b.batch_id for b in batches if is_done(status, b)]
    assert done == ["day:2010-12-01", "day:2010-12-02"], f"the database's checkpoints say {done} are done"
    again = pipeline.run_batches(settings, batches)  # redo is safe anyway: only the two missing days load
    assert (again.skipped, [r.batch_id for r in again.loaded]) == (2, ["day:2010-12-03", "day:2010-12-04"]), (
        f"the next run should skip the 2 verified days and load the other 2; it skipped {again.skipped} and "
        f"loaded {[r.batch_id for r in again.loaded]}")
