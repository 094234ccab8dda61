"""Attempts at overlapping_extracts (spoilers): what students hand in, and the verdict due."""
import io
from collections import Counter
from pathlib import Path

from failurelab.attempts import right, wrong
from sessions.session1.guards import LoadRefused

ANY = ("SELECT source_file, count(DISTINCT invoice_no) FROM bronze.raw_transactions "
       "WHERE invoice_no = ANY(%s) AND source_file <> %s GROUP BY source_file")


def _overlap(cur, source_file, invoice_nos, sql=ANY):
    cur.execute(sql, (list(set(invoice_nos)), source_file))
    return dict(cur.fetchall())


def _refuse(source_file, found):
    options = " ".join(f"--replace {name}" for name in sorted(found))
    raise LoadRefused(f"{source_file}: its invoices are already loaded from {', '.join(sorted(found))}; "
                      f"to load it instead of them use {options}")


@right("the numbers go into a temporary table by one COPY, joined, then dropped; Python's set difference for replace")
class TempTableJoin:
    def overlapping_sources(cur, source_file, invoice_nos):
        cur.execute("CREATE TEMP TABLE new_invoices (invoice_no text PRIMARY KEY)")
        cur.copy_expert("COPY new_invoices FROM STDIN", io.StringIO("".join(f"{n}\n" for n in set(invoice_nos))))
        cur.execute("SELECT r.source_file, count(DISTINCT r.invoice_no) FROM bronze.raw_transactions r "
                    "JOIN new_invoices USING (invoice_no) WHERE r.source_file != %s GROUP BY 1", (source_file,))
        found = {name: n for name, n in cur.fetchall()}
        cur.execute("DROP TABLE new_invoices")
        return found

    def check_overlap(cur, source_file, invoice_nos, replace=()):
        left = set(TempTableJoin.overlapping_sources(cur, source_file, invoice_nos)) - set(replace)
        if left:
            raise LoadRefused(f"refusing {source_file}: " + "; ".join(
                f"{name} already holds some of its invoices (--replace {name} if {source_file} supersedes it)"
                for name in sorted(left)))


@right("DISTINCT pairs via unnest(%s::text[]) and a Counter in Python")
class UnnestAndCounter:
    def overlapping_sources(cur, source_file, invoice_nos):
        cur.execute("SELECT DISTINCT r.source_file, r.invoice_no FROM bronze.raw_transactions r "
                    "JOIN unnest(%s::text[]) AS n(invoice_no) ON n.invoice_no = r.invoice_no "
                    "WHERE r.source_file <> %s", ([str(n) for n in invoice_nos], source_file))
        return dict(Counter(name for name, _ in cur.fetchall()))

    def check_overlap(cur, source_file, invoice_nos, replace=()):
        found = UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)
        found = {k: v for k, v in found.items() if k not in replace}
        if found:
            _refuse(source_file, found)


@wrong("counts lines, not distinct invoices: an invoice of 20 lines counts 20", caught_by="distinct_invoices")
class CountsLines(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        return _overlap(cur, source_file, invoice_nos, ANY.replace("count(DISTINCT invoice_no)", "count(*)"))


@wrong("forgets source_file <> itself: every re-run overlaps with its own previous load",
       caught_by="distinct_invoices")
class CountsItself(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        return _overlap(cur, source_file, invoice_nos, ANY.replace("source_file <> %s", "%s IS NOT NULL"))


@wrong("compares file names (the same stem) instead of the invoices: a renamed copy passes",
       caught_by="distinct_invoices")
class ComparesFileNames(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        cur.execute("SELECT source_file, count(DISTINCT invoice_no) FROM bronze.raw_transactions "
                    "WHERE source_file <> %s GROUP BY source_file", (source_file,))
        stem = Path(source_file).name.split(".")[0]
        return {name: n for name, n in cur.fetchall() if Path(name).name.split(".")[0] == stem}


@wrong("lists every other source, with 0 for those that share nothing (LEFT JOIN)", caught_by="distinct_invoices")
class ListsEverySource(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        cur.execute("SELECT s.source_file, count(DISTINCT r.invoice_no) FROM (SELECT DISTINCT source_file FROM "
                    "bronze.raw_transactions) s LEFT JOIN bronze.raw_transactions r ON r.source_file = s.source_file "
                    "AND r.invoice_no = ANY(%s) WHERE s.source_file <> %s GROUP BY 1",
                    (list(set(invoice_nos)), source_file))
        return dict(cur.fetchall())


@wrong("one query per invoice number: 25,900 round trips for the real file", caught_by="few_statements")
class OneQueryPerInvoice(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        found = Counter()
        for number in set(invoice_nos):
            cur.execute("SELECT DISTINCT source_file FROM bronze.raw_transactions WHERE invoice_no = %s "
                        "AND source_file <> %s", (number, source_file))
            found.update(name for (name,) in cur.fetchall())
        return dict(found)


@wrong("invoice_no IN %s with a tuple: an empty file makes `IN ()`, a syntax error",
       caught_by="empty_file_or_an_empty_bronze")
class InTuple(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        cur.execute("SELECT source_file, count(DISTINCT invoice_no) FROM bronze.raw_transactions "
                    "WHERE invoice_no IN %s AND source_file <> %s GROUP BY source_file",
                    (tuple(set(invoice_nos)), source_file))
        return dict(cur.fetchall())


@wrong("a temporary table never dropped: the second call in the transaction fails with DuplicateTable",
       caught_by="inside_the_load_transaction")
class TempTableKept(TempTableJoin):
    def overlapping_sources(cur, source_file, invoice_nos):
        cur.execute("CREATE TEMP TABLE new_invoices ON COMMIT DROP AS "
                    "SELECT DISTINCT unnest(%s::text[]) AS invoice_no", (list(invoice_nos),))
        cur.execute("SELECT source_file, count(DISTINCT invoice_no) FROM bronze.raw_transactions "
                    "JOIN new_invoices USING (invoice_no) WHERE source_file <> %s GROUP BY 1", (source_file,))
        return dict(cur.fetchall())


@wrong("`with cur.connection:` around the query: it commits the load's transaction half-way",
       caught_by="inside_the_load_transaction")
class CommitsTheLoad(UnnestAndCounter):
    def overlapping_sources(cur, source_file, invoice_nos):
        with cur.connection:
            return _overlap(cur, source_file, invoice_nos)


@wrong("ignores replace: a file that supersedes another can never be loaded", caught_by="lets_replaced_sources")
class IgnoresReplace(UnnestAndCounter):
    def check_overlap(cur, source_file, invoice_nos, replace=()):
        found = UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)
        if found:
            _refuse(source_file, found)


@wrong("any replace switches the whole check off: --replace A lets B's overlap through",
       caught_by="naming_each_source")
class ReplaceSwitchesItOff(UnnestAndCounter):
    def check_overlap(cur, source_file, invoice_nos, replace=()):
        found = UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)
        if found and not replace:
            _refuse(source_file, found)


@wrong("names the sources but not the option: the person is not told how to load it anyway",
       caught_by="naming_each_source")
class NoOptionInTheMessage(UnnestAndCounter):
    def check_overlap(cur, source_file, invoice_nos, replace=()):
        found = set(UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)) - set(replace)
        if found:
            raise LoadRefused(f"{source_file} overlaps with {', '.join(sorted(found))}: not loaded")


@wrong("names only the first overlapping source: the second refusal comes after the first is fixed",
       caught_by="naming_each_source")
class NamesTheFirstOnly(UnnestAndCounter):
    def check_overlap(cur, source_file, invoice_nos, replace=()):
        for name in sorted(UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)):
            if name not in replace:
                raise LoadRefused(f"{source_file} overlaps with {name}: use --replace {name}")


@wrong("one line per source: a multi-line refusal in a one-line log", caught_by="naming_each_source")
class OneLinePerSource(UnnestAndCounter):
    def check_overlap(cur, source_file, invoice_nos, replace=()):
        found = set(UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)) - set(replace)
        if found:
            raise LoadRefused(f"{source_file} overlaps with:\n" + "\n".join(f"  {n} (--replace {n})" for n in found))


@wrong("raises ValueError, not guards.LoadRefused: the pipeline cannot tell a refusal from a bug",
       caught_by="naming_each_source")
class RaisesValueError(UnnestAndCounter):
    def check_overlap(cur, source_file, invoice_nos, replace=()):
        found = set(UnnestAndCounter.overlapping_sources(cur, source_file, invoice_nos)) - set(replace)
        if found:
            raise ValueError(f"{source_file} overlaps: " + " ".join(f"--replace {n}" for n in sorted(found)))
