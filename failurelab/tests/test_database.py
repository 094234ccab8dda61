"""Each test gets a real, separate, password-protected database."""
import psycopg2
import pytest


def test_each_test_gets_its_own_empty_database(db, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
        assert cur.fetchone() == (db.dbname, 0)
        cur.execute("SHOW lc_messages")
        assert cur.fetchone()[0] in {"C", "en_US.UTF-8", "en_US.utf8", "C.UTF-8"}


def test_a_wrong_password_really_fails(db):
    with pytest.raises(psycopg2.OperationalError, match=f'password authentication failed for user "{db.user}"'):
        db.connect(password="not-the-password")


def test_the_password_stays_out_of_repr(db):
    assert db.password not in repr(db)


def test_a_closed_port_refuses_connections(db, closed_port):
    with pytest.raises(psycopg2.OperationalError, match="Connection refused"):
        db.connect(port=closed_port, connect_timeout=2)
