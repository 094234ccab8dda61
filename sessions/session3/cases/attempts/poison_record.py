"""Attempts at poison_record (spoilers): what students hand in, and the verdict due."""
import psycopg2

from failurelab.attempts import right, wrong
from sessions.session1.ingest import ingest_frame
from sessions.session3.deadletter import raw_json, reason_of

DATA = (psycopg2.DataError, psycopg2.IntegrityError)


def _probe(conn, part, batch_id, catch=DATA, undo=True):
    """None if the database takes `part`, else its error; tried in a savepoint and undone."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT probe")
    try:
        ingest_frame(conn, part, f"probe:{batch_id}")
        error = None
    except catch as err:
        error = err
        undo = True
    if undo:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT probe")
    return error


@right("iterative, with a stack of (start, end) ranges and numbered savepoints; sorted at the end")
class StackOfRanges:
    def isolate_poison(conn, batch, err):
        frame, found, todo, n = batch.frame, [], [(0, len(batch.frame), err)], 0
        while todo:
            start, end, error = todo.pop()
            if error is None:
                n += 1
                with conn.cursor() as cur:
                    cur.execute(f"SAVEPOINT try_{n}")
                try:
                    ingest_frame(conn, frame.iloc[start:end], f"probe:{batch.batch_id}")
                except (psycopg2.DataError, psycopg2.IntegrityError) as refused:
                    error = refused
                finally:
                    with conn.cursor() as cur:
                        cur.execute(f"ROLLBACK TO SAVEPOINT try_{n}")
                if error is None:
                    continue
            if end - start == 1:
                found.append((int(frame.index[start]) + 1, reason_of(error), raw_json(frame.iloc[start])))
            else:
                mid = (start + end) // 2
                todo += [(start, mid, None), (mid, end, None)]
        if not found:
            raise err
        return sorted(found)


@right("splits each refused part in four instead of two (recursive, a savepoint per probe)")
class FourWaySplit:
    def isolate_poison(conn, batch, err):
        found = []

        def search(part, error):
            if error is None:
                error = _probe(conn, part, batch.batch_id)
                if error is None:
                    return
            if len(part) == 1:
                found.append((part.index[0] + 1, reason_of(error), raw_json(part.iloc[0])))
                return
            step = -(-len(part) // 4)
            for i in range(0, len(part), step):
                search(part.iloc[i:i + step], None)
        search(batch.frame, err)
        if not found:
            raise err
        return found


@wrong("stops at the first poison row: the other refused rows make the reload fail again",
       caught_by="isolates_exactly")
class FirstPoisonOnly:
    def isolate_poison(conn, batch, err):
        part, error = batch.frame, err
        while len(part) > 1:
            mid = len(part) // 2
            left = _probe(conn, part.iloc[:mid], batch.batch_id)
            part, error = (part.iloc[:mid], left) if left is not None else (part.iloc[mid:], error)
        if _probe(conn, part, batch.batch_id) is None:
            raise err
        return [(int(part.index[0]) + 1, reason_of(error), raw_json(part.iloc[0]))]


class _Bisect:
    @staticmethod
    def run(conn, batch, err, line=lambda i: int(i) + 1, reason=None, catch=DATA, undo_good=True, when_none=None):
        found = []

        def bisect(part, error):
            error = error or _probe(conn, part, batch.batch_id, catch=catch, undo=undo_good)
            if error is None:
                return
            if len(part) == 1:
                found.append((line(part.index[0]), reason_of(reason or error), raw_json(part.iloc[0])))
                return
            mid = len(part) // 2
            bisect(part.iloc[:mid], None)
            bisect(part.iloc[mid:], None)
        bisect(batch.frame, err)
        if not found:
            if when_none is not None:
                return when_none
            raise err
        return found


@wrong("batch lines counted from 0 (the frame index): every dead letter points at the row above it",
       caught_by="isolates_exactly")
class ZeroBasedLines:
    def isolate_poison(conn, batch, err):
        return _Bisect.run(conn, batch, err, line=int)


@wrong("keeps a probe that worked (RELEASE instead of ROLLBACK TO): probe rows stay in bronze",
       caught_by="isolates_exactly")
class KeepsGoodProbes:
    def isolate_poison(conn, batch, err):
        return _Bisect.run(conn, batch, err, undo_good=False)


@wrong("a linear scan without savepoints: the first refused row aborts the transaction, every later probe fails",
       caught_by="isolates_exactly")
class LinearScanWithoutSavepoints:
    def isolate_poison(conn, batch, err):
        found = []
        for i in range(len(batch.frame)):
            try:
                ingest_frame(conn, batch.frame.iloc[i:i + 1], f"probe:{batch.batch_id}")
            except (psycopg2.DataError, psycopg2.IntegrityError) as refused:
                conn.rollback()
                found.append((i + 1, reason_of(refused), raw_json(batch.frame.iloc[i])))
        if not found:
            raise err
        return found


@wrong("gives every dead letter the batch's first error as its reason, not the error of its own row",
       caught_by="its_own_reason")
class BatchErrorAsReason:
    def isolate_poison(conn, batch, err):
        return _Bisect.run(conn, batch, err, reason=err)


@wrong("returns no dead letters when no single row fails: the caller reloads the batch and fails again, unexplained",
       caught_by="no_single_row_is_to_blame")
class ReturnsNothingInsteadOfRaising:
    def isolate_poison(conn, batch, err):
        return _Bisect.run(conn, batch, err, when_none=[])


@wrong("treats any database error in a probe as poison: a lock timeout turns good rows into dead letters",
       caught_by="server_error_is_not_poison")
class AnyDatabaseErrorIsPoison:
    def isolate_poison(conn, batch, err):
        return _Bisect.run(conn, batch, err, catch=psycopg2.Error)


@wrong("probes every row alone instead of bisecting: one poison row among 60 costs 60 probe loads",
       caught_by="goes_to_the_dead_letters")
class EveryRowAlone:
    def isolate_poison(conn, batch, err):
        found = []
        for i in range(len(batch.frame)):
            part = batch.frame.iloc[i:i + 1]
            error = _probe(conn, part, batch.batch_id)
            if error is not None:
                found.append((i + 1, reason_of(error), raw_json(part.iloc[0])))
        if not found:
            raise err
        return found
