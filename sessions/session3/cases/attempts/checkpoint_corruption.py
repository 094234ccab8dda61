"""Attempts at checkpoint_corruption (spoilers): what students hand in, and the verdict due.

Durability itself (the bytes and the rename on disk before a power cut) cannot be observed in a test. But a sync
call is the only way to get it, so the_file_and_its_folder_are_synced records os.fsync and os.fdatasync (whichever
is used, whether the fd is a regular file or a directory, taken at call time) and requires at least one of each
during write_checkpoint, and that the OS had the whole file (os.fstat size) when the regular file was synced (a
fsync before flush syncs an empty file). Not caught: a sync made another way (O_SYNC / O_DSYNC on open), or a sync in the wrong
order (the file after the rename); the stub asks for flush + os.fsync of the file, then of the folder.
"""
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from failurelab.attempts import right, wrong

log = logging.getLogger("session3.checkpoint")
REDO = "the batches it covered will be checked against the database and redone if needed"


def _digest(state):
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def _read(path):
    """A correct reader for the {"sha256", "state"} format."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        state, digest = saved["state"], saved["sha256"]
    except (ValueError, KeyError, TypeError) as err:
        log.warning(f"checkpoint {path} is corrupt ({type(err).__name__}: {err}); ignoring it: {REDO}")
        return None
    if _digest(state) != digest:
        log.warning(f"checkpoint {path} fails its checksum; ignoring it: {REDO}")
        return None
    return state


def _document(state):
    return json.dumps({"sha256": _digest(state), "state": state})


@right("tempfile.mkstemp in the same folder, os.fdatasync, os.rename (not os.replace), the folder fsynced")
class MkstempAndRename:
    def write_checkpoint(path, state):
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(_document(state))
                out.flush()
                os.fdatasync(out.fileno())
            os.rename(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def read_checkpoint(path):
        return _read(path)


@right("pathlib: Path.open on a sibling temp, Path.replace, folder synced via O_DIRECTORY; checksum line, then state")
class ChecksumLineThenState:
    def write_checkpoint(path, state):
        path = Path(path)
        body = json.dumps(state, sort_keys=True, indent=1)
        tmp = path.with_suffix(path.suffix + ".partial")
        try:
            with tmp.open("w", encoding="utf-8") as out:
                out.write(hashlib.sha256(body.encode()).hexdigest() + "\n" + body + "\n")
                out.flush()
                os.fsync(out)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fdatasync(folder)
        finally:
            os.close(folder)

    def read_checkpoint(path):
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as err:
            log.warning(f"checkpoint {path} is corrupt (UnicodeDecodeError: {err}); {REDO}")
            return None
        digest, _, body = text.partition("\n")
        if hashlib.sha256(body.rstrip("\n").encode()).hexdigest() != digest:
            log.warning(f"checkpoint {path} fails its checksum (torn or changed); {REDO}")
            return None
        try:
            return json.loads(body)
        except ValueError as err:
            log.warning(f"checkpoint {path} is corrupt ({type(err).__name__}); {REDO}")
            return None


@wrong("writes the checkpoint in place (open(path, 'w')): a failed write leaves a truncated file",
       caught_by="failed_write_keeps_the_old")
class InPlaceWithChecksum:
    def write_checkpoint(path, state):
        with open(path, "w", encoding="utf-8") as out:
            out.write(_document(state))
            out.flush()
            os.fsync(out.fileno())

    def read_checkpoint(path):
        return _read(path)


@wrong("writes a temporary file, then copies it over the checkpoint: the copy is an in-place write again",
       caught_by="and_replaces_it")
class CopiesOverTheCheckpoint:
    def write_checkpoint(path, state):
        tmp = Path(path).with_name(Path(path).name + ".tmp")
        try:
            tmp.write_text(_document(state), encoding="utf-8")
            shutil.copyfile(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def read_checkpoint(path):
        return _read(path)


@wrong("atomic, but leaves its temporary file behind when the write fails", caught_by="failed_write_keeps_the_old")
class LeavesTheTempFile:
    def write_checkpoint(path, state):
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(_document(state))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def read_checkpoint(path):
        return _read(path)


@wrong("the temporary file goes to the default temp folder (/tmp): the rename is not atomic across file systems",
       caught_by="temporary_file_is_beside")
class TempFileInTmp:
    def write_checkpoint(path, state):
        with tempfile.NamedTemporaryFile("w", delete=False, encoding="utf-8") as out:
            out.write(_document(state))
            out.flush()
            os.fsync(out.fileno())
        try:
            shutil.move(out.name, path)  # a copy, then a delete, when /tmp is another file system
        except BaseException:
            os.unlink(out.name)
            raise

    def read_checkpoint(path):
        return _read(path)


@wrong("atomic, but no checksum: a garbled file that is still valid JSON is trusted", caught_by="fails_the_checksum")
class NoChecksum(LeavesTheTempFile):
    def write_checkpoint(path, state):
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump(state, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def read_checkpoint(path):
        path = Path(path)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            log.warning(f"checkpoint {path} is corrupt ({type(err).__name__}: {err}); {REDO}")
            return None


@wrong("stores a checksum but never checks it on reading", caught_by="fails_the_checksum")
class ChecksumNotVerified(MkstempAndRename):
    def read_checkpoint(path):
        path = Path(path)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))["state"]
        except (ValueError, KeyError, TypeError) as err:
            log.warning(f"checkpoint {path} is corrupt ({type(err).__name__}: {err}); {REDO}")
            return None


@wrong("catches only JSONDecodeError: a file of the wrong shape or not UTF-8 crashes the reader",
       caught_by="any_damage_reads_as_none")
class CatchesOnlyJSONDecodeError(MkstempAndRename):
    def read_checkpoint(path):
        path = Path(path)
        if not path.exists():
            return None
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            log.warning(f"checkpoint {path} is corrupt (JSONDecodeError: {err}); {REDO}")
            return None
        if _digest(saved["state"]) != saved["sha256"]:
            log.warning(f"checkpoint {path} fails its checksum; {REDO}")
            return None
        return saved["state"]


@wrong("returns None for a corrupt file but says nothing: nobody learns the checkpoint was torn",
       caught_by="is_detected_with_a_warning")
class SilentlyIgnoresIt(MkstempAndRename):
    def read_checkpoint(path):
        try:
            saved = json.loads(Path(path).read_text(encoding="utf-8"))
            if _digest(saved["state"]) == saved["sha256"]:
                return saved["state"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None


@wrong("atomic and checked, but never synced: a power cut can leave an empty file under the new name",
       caught_by="the_file_and_its_folder_are_synced")
class NoFsync(MkstempAndRename):
    def write_checkpoint(path, state):
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(_document(state), encoding="utf-8")
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


@wrong("fsyncs the temporary file but not the folder: after a power cut the rename itself may be gone",
       caught_by="the_file_and_its_folder_are_synced")
class FileSyncedFolderNot(MkstempAndRename):
    def write_checkpoint(path, state):
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(_document(state))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


@wrong("os.fsync before flushing: the bytes are still in Python's buffer, an empty file is synced",
       caught_by="the_file_and_its_folder_are_synced")
class FsyncBeforeFlush(MkstempAndRename):
    def write_checkpoint(path, state):
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump({"sha256": _digest(state), "state": state}, out)
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
