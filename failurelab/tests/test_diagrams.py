"""The Mermaid diagrams in the docs name only tables, functions and files that exist.

What counts as a name is spelled out in failurelab/diagrams.py; in short: a path
ending in .py/.sql/.json/.md/.csv/.toml, a call written `name()` or
`module.name()`, a `schema.table` in one of the schemas the SQL creates, and an
erDiagram entity `"schema.table"` with its columns and keys.
"""
from pathlib import Path

import pytest

from failurelab.diagrams import ROOT, Diagram, diagrams, missing

DOCUMENTS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("sessions/*/README.md"),
                    *ROOT.glob("sessions/*/Notes.md")])
DIAGRAMS = [d for doc in DOCUMENTS for d in diagrams(doc)]


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda d: d.label)
def test_every_name_in_a_diagram_exists_in_the_repository(diagram):
    problems = missing(diagram)
    assert not problems, f"{diagram.label} names what does not exist:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("session", sorted(p.name for p in ROOT.glob("sessions/session*")))
def test_each_session_readme_draws_its_pipeline_as_a_flowchart(session):
    kinds = [d.text.split(None, 1)[0] for d in diagrams(ROOT / "sessions" / session / "README.md")]
    assert "flowchart" in kinds, f"sessions/{session}/README.md has no ```mermaid flowchart of its pipeline"


def test_the_star_schema_retry_and_checkpoint_diagrams_are_there():
    kinds2 = [d.text.split(None, 1)[0] for d in diagrams(ROOT / "sessions/session2/README.md")]
    kinds3 = [d.text.split(None, 1)[0] for d in diagrams(ROOT / "sessions/session3/README.md")]
    assert "erDiagram" in kinds2
    assert kinds3.count("sequenceDiagram") >= 2, "retry/backoff and checkpoint/crash recovery"


def made_up(tmp_path: Path, body: str) -> Diagram:
    doc = tmp_path / "README.md"
    doc.write_text(f"# made up\n\ntext\n\n```mermaid\n{body}\n```\n")
    return diagrams(doc)[0]


def test_a_diagram_naming_a_table_that_does_not_exist_fails_naming_the_table(tmp_path):
    diagram = made_up(tmp_path, "flowchart LR\n  a[bronze.raw_transactions] --> b[bronze.nope]")
    assert missing(diagram) == ["table bronze.nope (no CREATE TABLE bronze.nope in the repository's SQL)"]
    assert diagram.label.endswith("README.md diagram #1 (flowchart)")


def test_a_missing_function_file_or_module_function_is_named(tmp_path):
    diagram = made_up(tmp_path, 'flowchart TD\n  a["transform.run()"] --> b["transform.nope()"]\n'
                                '  b --> c["no_such_function()"] --> d["sessions/session3/nope.py"]\n'
                                '  d --> e["sessions/session3/retry.py, sql/00_schema.sql"]')
    problems = missing(diagram)
    assert problems == ["file sessions/session3/nope.py (not found next to README.md nor from the repository root)",
                        "file sql/00_schema.sql (not found next to README.md nor from the repository root)",
                        "function transform.nope() (no def nope in transform.py)",
                        "function no_such_function() (no def no_such_function in the repository's Python)"]


def test_sql_functions_and_python_modules_named_like_schemas_both_resolve(tmp_path):
    diagram = made_up(tmp_path, 'flowchart LR\n  a["silver.is_product_code()"] --> b["silver.build()"]\n'
                                '  b --> c["pipeline.run()"] --> d[pipeline.checkpoints] --> e["silver.nope()"]')
    assert missing(diagram) == ["function silver.nope() (no def nope in silver.py nor SQL function silver.nope)"]


def test_an_er_diagram_must_show_real_columns_and_keys(tmp_path):
    diagram = made_up(tmp_path, 'erDiagram\n  "silver.dim_date" {\n    integer date_key PK "yyyymmdd"\n'
                                '    date full_date UK\n    text colour\n    smallint year FK\n    smallint day UK\n  }')
    assert missing(diagram) == ["column silver.dim_date.colour (not a column of its CREATE TABLE)",
                                "key silver.dim_date.year FK (the CREATE TABLE does not make it one)",
                                "key silver.dim_date.day UK (the CREATE TABLE does not make it one)"]


def test_test_code_does_not_count_as_the_repositorys_code(tmp_path):
    # made_up is defined only in this test module: a diagram must not point readers at test code
    diagram = made_up(tmp_path, 'flowchart LR\n  a["made_up()"] --> b["diagrams()"]')
    assert missing(diagram) == ["function made_up() (no def made_up in the repository's Python)"]
