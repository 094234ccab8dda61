"""Attempts at empty_reexport (spoilers): what students hand in, and the verdict due."""
from failurelab.attempts import right, wrong
from sessions.session1.guards import LoadRefused


def _refuse(source_file, before, after):
    raise LoadRefused(f"{source_file}: {before} rows loaded, the new version has {after}; "
                      "use --allow-shrink if that is right")


@wrong("refuses only an empty re-export: 12 rows of 2,000 wipe the rest", caught_by="refuses_to_lose_more_than_half")
class OnlyAtZero:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after == 0 and not allow_shrink:
            _refuse(source_file, before, after)


@wrong("after < before: refuses any shrink, even a corrected file one row shorter",
       caught_by="lets_growth_small_shrinks")
class AnyShrink:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if after < before and not allow_shrink:
            _refuse(source_file, before, after)


@wrong("after < before // 2: integer division lets 2 of 5 (and 270,954 of 541,909) through",
       caught_by="refuses_to_lose_more_than_half")
class IntegerDivision:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after < before // 2 and not allow_shrink:
            _refuse(source_file, before, after)


@wrong("after <= before / 2: refuses exactly half", caught_by="lets_growth_small_shrinks")
class RefusesExactlyHalf:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after <= before / 2 and not allow_shrink:
            _refuse(source_file, before, after)


@wrong("after / before < 0.5 without the before > 0 guard: a first load divides by zero",
       caught_by="lets_growth_small_shrinks")
class RatioDividesByZero:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if after / before < 0.5 and not allow_shrink:
            _refuse(source_file, before, after)


@wrong("refuses any load to 0 rows, a first load of a header-only file too", caught_by="lets_growth_small_shrinks")
class RefusesEveryEmptyLoad:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if (after == 0 or after * 2 < before) and not allow_shrink:
            _refuse(source_file, before, after)


@wrong("ignores allow_shrink: a file that really shrank can never be loaded", caught_by="allow_shrink_overrides")
class IgnoresAllowShrink:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after * 2 < before:
            _refuse(source_file, before, after)


@wrong("the message says 'allow_shrink=True', not the CLI option --allow-shrink",
       caught_by="refuses_to_lose_more_than_half")
class NamesTheParameterNotTheOption:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after * 2 < before and not allow_shrink:
            raise LoadRefused(f"{source_file} would shrink from {before} to {after} rows: pass allow_shrink=True")


@wrong("the message gives the share lost, not the counts: 'would lose 100%'", caught_by="refuses_to_lose_more_than_half")
class ShareInsteadOfCounts:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after * 2 < before and not allow_shrink:
            raise LoadRefused(f"{source_file} would lose {1 - after / before:.0%} of its rows; --allow-shrink to "
                              "load it anyway")


@wrong("raises ValueError: the pipeline cannot tell a refusal from a bug", caught_by="refuses_to_lose_more_than_half")
class RaisesValueError:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after * 2 < before and not allow_shrink:
            raise ValueError(f"{source_file}: {before} -> {after} rows (--allow-shrink to load anyway)")


@wrong("a two-line message: the counts on a line of their own", caught_by="refuses_to_lose_more_than_half")
class TwoLines:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if before > 0 and after * 2 < before and not allow_shrink:
            raise LoadRefused(f"refusing {source_file}\n  before: {before:,} rows, after: {after:,} rows "
                              "(--allow-shrink)")


@right("early returns, a float ratio, and the numbers with thousands separators")
class EarlyReturns:
    def check_shrink(source_file, before, after, allow_shrink=False):
        if allow_shrink or before == 0:
            return
        if after / before < 0.5:
            raise LoadRefused(f"not loading {source_file}: it had {before:,} rows in bronze, this version has "
                              f"{after:,} (under half); if it really shrank, run again with --allow-shrink")
