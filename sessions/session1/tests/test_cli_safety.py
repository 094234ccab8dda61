"""The command line says no, in one line, before it can double, lose or half-load anything."""
import re
import stat

import pytest

from failurelab import sampledata
from sessions.session1 import ingest, reader


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env here: only the test's DB_* variables count
    return tmp_path


def bronze(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT source_file, count(*) FROM bronze.raw_transactions GROUP BY 1 ORDER BY 1")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def test_an_unreadable_file_fails_before_connecting_with_one_line(db_env, elsewhere, sample_csv, capsys,
                                                                  monkeypatch):
    monkeypatch.setenv("DB_PORT", "1")  # would fail to connect: the file check must come first
    sample_csv.chmod(0)
    if reader.os.access(sample_csv, reader.os.R_OK):  # root reads anything: inject the refusal the kernel gives others
        real_open = open
        monkeypatch.setattr(reader, "open", lambda p, *a, **k: (_ for _ in ()).throw(
            PermissionError(13, "Permission denied", str(p))) if str(p) == str(sample_csv) else real_open(p, *a, **k),
                            raising=False)
    try:
        assert ingest.main([str(sample_csv)]) == 1
    finally:
        sample_csv.chmod(stat.S_IRUSR | stat.S_IWUSR)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: UnreadableSource: {sample_csv} cannot be read (Permission denied); give the user")


def test_control_characters_in_a_garbage_header_are_escaped(db_env, elsewhere, capsys):
    (elsewhere / "garbage.csv").write_bytes(b"\x1b[2J\x1b[31mEVIL\x07,B\x9b\n1,2\n")
    assert ingest.main(["garbage.csv"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]  # after the progress lines, the error: one line
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", err)
    assert err.startswith("error: MissingColumns: missing required columns: InvoiceNo, ")
    assert r"(found: \x1b[2J\x1b[31mEVIL\x07, B\x9b); " in err


def test_extra_columns_get_a_warning_that_names_them(db_env, elsewhere, sample_frame, capsys):
    path = sampledata.write_csv(sample_frame.assign(Revenue=1.0, Notes=""), elsewhere / "wide.csv")
    assert ingest.main([str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == ["warning: wide.csv: extra columns ignored: Revenue, Notes"]  # after "… read 2,000 rows"


def test_a_multi_file_run_commits_all_its_files_or_none(db_env, conn, elsewhere, sample_frame, capsys):
    a = sampledata.write_csv(sample_frame, elsewhere / "a.csv")
    b = sampledata.write_csv(sample_frame.head(100), elsewhere / "b.csv")  # a's first invoices again
    assert ingest.main([str(a), str(b)]) == 1
    out, err = capsys.readouterr()
    err = err.splitlines()[-1]
    assert err.startswith("error: LoadRefused: b.csv shares invoices with sources already "
                                                   "loaded (")
    assert err.rstrip().endswith("--replace a.csv; nothing was committed")
    assert bronze(conn) == []  # a.csv was fine, and was rolled back with b.csv
    assert re.search(r"^log #1 rolled_back a\.csv .*; run failed at b\.csv, nothing committed$", out, re.M)
    assert re.search(r"^log #2 refused b\.csv .*; LoadRefused: b\.csv shares invoices", out, re.M)
    (elsewhere / "bad.csv").write_text("InvoiceNo,Price\n1,2\n")  # an error that is not a guard's, in file 2
    assert ingest.main([str(a), "bad.csv"]) == 1 and bronze(conn) == []
    assert capsys.readouterr().err.splitlines()[-1].endswith("with its header row?; nothing was committed")
    c = sampledata.write_csv(sampledata.generate(300, seed=7).assign(
        InvoiceNo=lambda f: "9" + f["InvoiceNo"].str.lstrip("C")), elsewhere / "c.csv")
    assert ingest.main([str(a), str(c)]) == 0
    assert [name for name, _ in bronze(conn)] == ["a.csv", "c.csv"]


def test_history_shows_the_last_loads_refusals_too_without_a_file(db_env, elsewhere, sample_csv, capsys):
    assert ingest.main([str(sample_csv)]) == 0
    sample_csv.write_text(",".join(sampledata.COLUMNS) + "\n")  # a header-only re-export
    assert ingest.main([str(sample_csv)]) == 1
    assert "--allow-shrink; nothing was committed" in capsys.readouterr().err
    assert ingest.main(["--history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [["#1", "loaded", "online_retail.csv"],
                                                    ["#2", "refused", "online_retail.csv"]]
    assert lines[1].endswith("LoadRefused: online_retail.csv would go from 1,996 rows to 0 (less than half): an "
                             "empty or partial re-export? Check the file; if it really is smaller now, load it with "
                             "--allow-shrink")
    assert ingest.main(["--history", "1"]) == 0 and capsys.readouterr().out.startswith("#2 refused ")
