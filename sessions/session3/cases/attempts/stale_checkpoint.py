"""Attempts at stale_checkpoint (spoilers): what students hand in, and the verdict due."""
import logging

from failurelab.attempts import right, wrong

log = logging.getLogger("session3.batches")


def _stale(said, held):
    log.warning("stale checkpoint: it says %s rows loaded/rejected/dead-lettered, the tables hold %s; loading the "
                "batch again", "/".join(map(str, said)), "/".join(map(str, held)))


@right("slices the status tuple and logs with %-style arguments")
class SlicesTheTuple:
    def is_done(status, batch):
        if batch.batch_id not in status:
            return False
        found = status[batch.batch_id]
        if found[0] != batch.sha256:
            log.info("input changed: %s is loaded again", batch.batch_id)
            return False
        said, held = tuple(found[1:4]), tuple(found[4:7])
        if said != held:
            _stale(said, held)
            return False
        return True


@right("named unpacking, one f-string warning naming the batch, no log for a changed input")
class NamedFields:
    def is_done(status, batch):
        row = status.get(batch.batch_id)
        if not row:
            return False
        sha, loaded, rejected, dead, has_loaded, has_rejected, has_dead = row
        if sha != batch.sha256:
            return False
        if (loaded, rejected, dead) == (has_loaded, has_rejected, has_dead):
            return True
        logging.getLogger("session3.batches").warning(
            f"stale checkpoint: it says {loaded}/{rejected}/{dead} rows loaded/rejected/dead-lettered, the tables "
            f"hold {has_loaded}/{has_rejected}/{has_dead} ({batch.batch_id}); redoing it")
        return False


@wrong("checks only the loaded count: lost rejected rows or dead letters go unnoticed",
       caught_by="rejected_rows_and_dead_letters")
class OnlyTheLoadedCount:
    def is_done(status, batch):
        found = status.get(batch.batch_id)
        if found is None or found[0] != batch.sha256:
            return False
        if found[1] != found[4]:
            _stale(found[1:4], found[4:7])
            return False
        return True


@wrong("trusts a checkpoint whose input fingerprint matches: a reset table is never noticed",
       caught_by="verified_against_the_data")
class TrustsTheFingerprint:
    def is_done(status, batch):
        found = status.get(batch.batch_id)
        return found is not None and found[0] == batch.sha256


@wrong("checks the counts but not the sha256: a corrected day is skipped", caught_by="changed_input")
class IgnoresTheInput:
    def is_done(status, batch):
        found = status.get(batch.batch_id)
        if found is None:
            return False
        if tuple(found[1:4]) != tuple(found[4:7]):
            _stale(found[1:4], found[4:7])
            return False
        return True


@wrong("accepts tables holding at least what the checkpoint says: rows added under it pass",
       caught_by="every_count_must_match")
class AtLeastTheCounts:
    def is_done(status, batch):
        found = status.get(batch.batch_id)
        if found is None or found[0] != batch.sha256:
            return False
        if any(held < said for said, held in zip(found[1:4], found[4:7])):
            _stale(found[1:4], found[4:7])
            return False
        return True


@wrong("right verdicts, but the warning goes to the module's own logger, not 'session3.batches'",
       caught_by="verified_against_the_data")
class WarnsOnItsOwnLogger:
    def is_done(status, batch):
        found = status.get(batch.batch_id)
        if found is None or found[0] != batch.sha256:
            return False
        if tuple(found[1:4]) != tuple(found[4:7]):
            logging.getLogger(__name__).warning(
                "stale checkpoint: it says %s rows loaded/rejected/dead-lettered, the tables hold %s",
                "/".join(map(str, found[1:4])), "/".join(map(str, found[4:7])))
            return False
        return True


@wrong("the warning has the two sides swapped: it names the tables' counts as the checkpoint's",
       caught_by="every_count_must_match")
class SwappedSides:
    def is_done(status, batch):
        found = status.get(batch.batch_id)
        if found is None or found[0] != batch.sha256:
            return False
        if tuple(found[1:4]) != tuple(found[4:7]):
            _stale(found[4:7], found[1:4])
            return False
        return True
