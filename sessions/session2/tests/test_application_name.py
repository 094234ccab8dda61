"""Who is connected: the transform's CLI names itself in pg_stat_activity."""
from sessions.session2 import transform


def test_the_cli_connection_is_named_failurelab_session2(bronze, db_env, mocker):
    names, real = [], transform.run

    def run(conn, days=None):
        with conn.cursor() as cur:
            cur.execute("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            names.append(cur.fetchone()[0])
        conn.rollback()
        return real(conn, days)
    mocker.patch.object(transform, "run", side_effect=run)
    assert transform.main([]) == 0
    assert names == ["failurelab-session2"]
