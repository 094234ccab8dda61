"""The pipeline end to end on a few generated days: runs, re-runs, the CLI, its logs."""
import json

import pytest

from failurelab import sampledata
from sessions.session3 import batches as batches_module, pipeline
from sessions.session3.sample import few_days


def test_a_run_loads_every_day_reconciles_and_a_second_run_changes_nothing(settings, batches):
    first = pipeline.run_batches(settings, batches)
    t = first.totals()
    assert len(first.loaded) == len(batches) == 4 and first.silver_built
    assert t["rows_in"] == 240 == t["loaded"] + t["rejected"] + t["dead_lettered"]
    second = pipeline.run_batches(settings, batches)
    assert second.skipped == 4 and not second.loaded and not second.silver_built


def test_split_days_gives_one_batch_per_day_in_date_order_and_loses_no_row():
    frame = few_days(rows=100, days=3)
    frame["InvoiceDate"] = frame["InvoiceDate"].dt.strftime("%Y-%m-%d %H:%M:%S")  # as read from a CSV
    frame.loc[10, "InvoiceDate"] = "not a date"  # stays with the day it arrived in; the ingest rejects it
    days = pipeline.split_days(frame)
    assert [b.batch_id for b in days] == ["day:2010-12-01", "day:2010-12-02", "day:2010-12-03"]
    assert sum(len(b.frame) for b in days) == 100 and list(days[0].frame.index) == list(range(len(days[0].frame)))


def test_the_cli_prints_progress_and_a_summary_and_logs_json_with_batch_ids(db_env, tmp_path, capsys):
    source = sampledata.write_csv(few_days(), tmp_path / "days.csv")
    assert pipeline.main([str(source)]) == 0
    out, err = capsys.readouterr()
    assert "[  1/4] day:2010-12-01  in 60  loaded " in out
    assert "4 batches, 4 loaded, 0 skipped" in out and "rows in 240 = loaded" in out and "silver rebuilt" in out
    events = [json.loads(line) for line in err.splitlines()]
    assert [e["batch_id"] for e in events if e.get("event") == "batch_loaded"] == [
        "day:2010-12-01", "day:2010-12-02", "day:2010-12-03", "day:2010-12-04"]
    assert pipeline.main([str(source), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run ") and "0 loaded, 4 skipped (checkpoint verified)" in out and "silver up to date" in out


def test_the_cli_with_some_settings_missing_exits_2_naming_them(tmp_path, monkeypatch, capsys):
    for key in ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DB_HOST", "127.0.0.1")  # a server was chosen: no local one stands in (failurelab.localdb)
    monkeypatch.setenv("FAILURELAB_LOCALDB", str(tmp_path / "localdb"))
    monkeypatch.chdir(tmp_path)  # no .env here
    assert pipeline.main([str(tmp_path / "x.csv")]) == 2
    assert "missing required settings: DB_PORT, DB_NAME, DB_USER, DB_PASSWORD" in capsys.readouterr().err
    assert not (tmp_path / "localdb").exists()


def test_a_wrong_password_exits_2_at_once_naming_what_to_check_and_never_the_password(db_env, tmp_path,
                                                                                     monkeypatch, capsys):
    source = sampledata.write_csv(few_days(), tmp_path / "days.csv")
    monkeypatch.setenv("DB_PASSWORD", "not-the-Password-42")
    assert pipeline.main([str(source), "--quiet"]) == 2  # permanent: not retried, no 5 refused logins
    err = capsys.readouterr().err
    assert "(password authentication failed)" in err and "check DB_USER and DB_PASSWORD" in err, err
    assert "not-the-Password-42" not in err


def test_a_nul_byte_deep_in_a_real_file_becomes_one_dead_letter_and_the_day_loads(db_env, db, tmp_path, capsys):
    source = sampledata.write_csv(few_days(rows=2000), tmp_path / "days.csv")
    lines = source.read_text(encoding="utf-8").split("\n")
    assert len("\n".join(lines[:1901]).encode()) > 65536  # past what session 1's binary-file check reads
    fields = lines[1900].split(",")
    fields[2] = "PAPER CRAFT\x00LITTLE BIRDIE"  # the Description of the 4th day's 400th row
    lines[1900] = ",".join(fields)
    source.write_text("\n".join(lines), encoding="utf-8")
    assert pipeline.main([str(source), "--quiet"]) == 0
    assert "rows in 2,000 = loaded 1,995 + rejected 4 + dead-lettered 1" in capsys.readouterr().out
    conn = db.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT batch_id, batch_line, reason FROM pipeline.dead_letters")
        assert cur.fetchall() == [("day:2010-12-04", 400, 'CharacterNotInRepertoire [SQLSTATE 22021]: '
                                   'invalid byte sequence for encoding "UTF8": 0x00')]
    conn.close()


def test_the_cli_refuses_a_file_without_the_export_columns_before_writing_anything(db_env, db, tmp_path,
                                                                                        capsys):
    source = tmp_path / "orders.csv"
    source.write_text("InvoiceNo,StockCode\n536365,85123A\n")
    assert pipeline.main([str(source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: missing required columns: Description, Quantity, InvoiceDate, UnitPrice, "
                          "CustomerID, Country (found: InvoiceNo, StockCode)")
    conn = db.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('pipeline.checkpoints')")
        assert cur.fetchone() == (None,)  # refused while reading (after the lock, before any write): no schema
    conn.close()


@pytest.mark.parametrize("option, value", [("--attempts", "0"), ("--silver-every", "-1"), ("--lock-wait", "-5")])
def test_the_cli_refuses_a_bound_that_makes_no_sense_with_exit_2(option, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        pipeline.main(["days.csv", option, value])
    assert exit_.value.code == 2
    assert f"argument {option}: must be at least " in capsys.readouterr().err


def test_silver_rebuilt_every_n_batches_is_reported_as_rebuilt(settings, batches):
    summary = pipeline.run_batches(settings, batches, silver_every=2)  # 4 batches: built after the 2nd and 4th
    assert summary.silver_built and "silver rebuilt" in summary.text()


def test_a_transient_error_in_a_batch_is_retried_and_logged(settings, batches, serialization_failure, mocker, caplog):
    mocker.patch("time.sleep")
    real = batches_module.load_batch
    calls = []

    def flaky(conn, batch):
        calls.append(batch.batch_id)
        if len(calls) == 2:
            # a real 40001 (the fixture makes it at REPEATABLE READ), injected once on purpose: standing for any
            # transient error, since the pipeline's own READ COMMITTED transactions never get one
            raise serialization_failure
        return real(conn, batch)
    mocker.patch.object(pipeline, "load_batch", side_effect=flaky)
    summary = pipeline.run_batches(settings, batches)
    assert len(summary.loaded) == 4 and calls.count("day:2010-12-02") == 2
    retry = [r for r in caplog.records if getattr(r, "event", None) == "retry"]
    assert [(r.batch_id, r.error) for r in retry] == [("day:2010-12-02", "SerializationFailure")]


def test_the_cli_reports_exhausted_retries_and_how_to_resume(db_env, tmp_path, serialization_failure, mocker, capsys):
    mocker.patch("time.sleep")
    mocker.patch.object(pipeline, "load_batch", side_effect=serialization_failure)
    source = sampledata.write_csv(few_days(), tmp_path / "days.csv")
    assert pipeline.main([str(source), "--attempts", "2"]) == 1
    err = capsys.readouterr().err
    assert "failed: RetryExhausted: day:2010-12-01: gave up after 2 attempts" in err and "re-run to resume" in err
    assert db_env["DB_PASSWORD"] not in err


def test_the_cli_fails_at_once_on_a_permanent_error_and_says_rerunning_alone_will_not_help(
        db_env, tmp_path, monkeypatch, mocker, capsys):
    sleep = mocker.patch("time.sleep")
    monkeypatch.setenv("DB_NAME", "no_such_db")  # a real server, a database it does not have
    source = sampledata.write_csv(few_days(), tmp_path / "days.csv")
    assert pipeline.main([str(source)]) == 1
    err = capsys.readouterr().err
    assert 'failed: OperationalError: ' in err and 'database "no_such_db" does not exist' in err
    assert "not retried: fix it, then re-run" in err and sleep.call_count == 0


def test_the_real_data_splits_into_305_daily_batches(real_data):
    from sessions.session1 import reader
    days = pipeline.split_days(reader.read_source(real_data))
    assert len(days) == 305 and days[0].batch_id == "day:2010-12-01" and days[-1].batch_id == "day:2011-12-09"
    assert sum(len(b.frame) for b in days) == 541_909


def test_a_run_that_loses_its_lock_connection_stops_before_the_next_batch(settings, batches, mocker):
    from sessions.session3 import lock
    real, seen = lock.assert_held, []

    def server_drops_the_lock_connection(conn):
        seen.append(conn)
        if len(seen) == 2:  # after the first batch: the lock's session is terminated for real
            killer = pipeline.db.connect(settings)
            with killer.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", (conn.get_backend_pid(),))
            killer.close()
        return real(conn)
    mocker.patch.object(pipeline, "assert_held", side_effect=server_drops_the_lock_connection)
    with pytest.raises(lock.LockLost, match="lock connection ended"):
        pipeline.run_batches(settings, batches)
