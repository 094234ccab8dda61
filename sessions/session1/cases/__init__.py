"""Session 1's cases, in the order a student meets them: the pipeline's own order
(find the file, read it, check its header and its last row, its types, its business
rules; then the settings, the login, the server, its time limits; then loading twice)."""
COURSE_ORDER = ("missing_file", "corrupt_excel", "missing_columns", "truncated_file", "invalid_schema",
                "negative_prices", "missing_env_vars", "wrong_credentials", "database_down", "network_timeout",
                "duplicate_primary_key", "overlapping_extracts", "empty_reexport")
