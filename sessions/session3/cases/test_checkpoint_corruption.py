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
"""
import json
import logging

import pytest

from sessions.session3 import checkpoint_file, pipeline
from sessions.session3.batches import checkpoint_status, is_done

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


def test_right_checkpoint_corruption_is_detected_with_a_warning(tmp_path, caplog, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    assert solution.read_checkpoint(path) == STATE
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]  # no temporary file left behind
    path.write_text(path.read_text()[:20])
    with caplog.at_level(logging.WARNING, logger="session3.checkpoint"):
        assert solution.read_checkpoint(path) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert all(part in caplog.text for part in (str(path), "is corrupt", "JSONDecodeError", "redone if needed"))


def test_right_checkpoint_corruption_garbled_content_fails_the_checksum(tmp_path, caplog, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    path.write_text(path.read_text().replace("12-02", "12-09"))
    with caplog.at_level(logging.WARNING, logger="session3.checkpoint"):
        assert solution.read_checkpoint(path) is None
    assert "fails its checksum" in caplog.text


def test_right_checkpoint_corruption_a_failed_write_keeps_the_old_checkpoint(tmp_path, mocker, solution):
    path = tmp_path / "checkpoint.json"
    solution.write_checkpoint(path, STATE)
    mocker.patch("os.replace", side_effect=OSError(28, "No space left on device"))  # the fault, on purpose
    with pytest.raises(OSError, match="No space left on device"):
        solution.write_checkpoint(path, {**STATE, "done": []})
    mocker.stopall()
    assert solution.read_checkpoint(path) == STATE  # the previous state, whole
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]  # and no half-written temporary file


def test_right_checkpoint_corruption_the_state_is_rebuilt_from_the_database(settings, bconn, batches, tmp_path,
                                                                            solution):
    path = tmp_path / "checkpoint.json"
    first = pipeline.run_batches(settings, batches[:2])  # two days loaded, and the file says so
    solution.write_checkpoint(path, {"done": [r.batch_id for r in first.loaded]})
    path.write_bytes(path.read_bytes()[:15])  # torn by a crash
    assert solution.read_checkpoint(path) is None  # not trusted: ask the data instead
    status = checkpoint_status(bconn)  # the checkpoints kept with the data, verified against it
    assert [b.batch_id for b in batches if is_done(status, b)] == ["day:2010-12-01", "day:2010-12-02"]
    again = pipeline.run_batches(settings, batches)  # redo is safe anyway: only the two missing days load
    assert (again.skipped, [r.batch_id for r in again.loaded]) == (2, ["day:2010-12-03", "day:2010-12-04"])
