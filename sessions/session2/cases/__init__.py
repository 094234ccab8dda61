"""Session 2's cases, in the order a student meets them: the transform's own order
(its input, its SQL files and their transactions, the dimensions, the fact and its
keys, its partitions, then the reports built on it)."""
COURSE_ORDER = ("missing_bronze_table", "sql_syntax_error", "transaction_rollback", "duplicate_dimension",
                "missing_dimension_data", "referential_integrity", "partition_error", "aggregate_calculation")
