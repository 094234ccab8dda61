"""Session 3's cases, in the order a student meets them: which errors to retry and
for how long, then batches that commit whole and can be re-run, the rows that
cannot load, the checkpoints' own failures, and two runs at once."""
COURSE_ORDER = ("retry_non_transient", "retry_exhaustion", "partial_batch_failure", "non_idempotent_rerun",
                "poison_record", "checkpoint_corruption", "stale_checkpoint", "concurrent_runs")
