"""The pipeline end to end on a few generated days."""
from sessions.session3 import pipeline


def test_a_run_loads_every_day_reconciles_and_a_second_run_changes_nothing(settings, batches):
    first = pipeline.run_batches(settings, batches)
    t = first.totals()
    assert len(first.loaded) == len(batches) == 4 and first.silver_built
    assert t["rows_in"] == 240 == t["loaded"] + t["rejected"] + t["dead_lettered"]
    second = pipeline.run_batches(settings, batches)
    assert second.skipped == 4 and not second.loaded and not second.silver_built
