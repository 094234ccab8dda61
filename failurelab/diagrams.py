"""Check that the Mermaid diagrams in the docs name only things that exist.

A diagram is a picture of the code; when the code changes, a picture that still
shows the old table or function misleads the reader. So every name in a diagram
is looked up in the repository. What counts as a name (everything else is free
text, e.g. "one transaction" or `os.replace`):

* a **file**: a path ending in .py, .sql, .json, .md, .csv or .toml, e.g.
  `pipeline.py`, `sql/00_schema.sql`: it exists relative to the document's
  folder or to the repository root;
* a **call** `name()` or `module.name()`, written with empty parentheses: a
  `def name` (or a `class name`, called to make one) in the repository's own
  Python, in a module file `module.py` when qualified; or, when `module` is a
  database schema, an SQL function `CREATE FUNCTION module.name`;
* a **database object** `schema.name` without parentheses, where `schema` is
  one the repository's SQL creates (`CREATE SCHEMA`): a `CREATE TABLE` (or
  VIEW) of that name;
* in an `erDiagram`, an entity written `"schema.table"`: that table, and every
  attribute in its block is a column of it; one marked PK is in its primary key,
  one marked FK has a `REFERENCES`, one marked UK is `UNIQUE`.

Names from outside the repository (psycopg2's `conn.commit`, PostgreSQL's
`pg_try_advisory_lock`) are written without parentheses. Test code (tests/,
cases/, student/) does not count as the repository's code.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_CODE = {"tests", "cases", "student", "attempts", "node_modules", "__pycache__"}
_BLOCK = re.compile(r"^```mermaid[ \t]*\n(.*?)^```", re.S | re.M)
_FILE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:py|sql|json|md|csv|toml))(?![\w/-])")
_CALL = re.compile(r"\b(?:(\w+)\.)?(\w+)\(\)")
_DOTTED = re.compile(r"\b(\w+)\.(\w+)\b")
_ENTITY = re.compile(r'^\s*"(\w+\.\w+)"\s*\{(.*?)^\s*\}', re.S | re.M)
_ATTRIBUTE = re.compile(r"^\s*[\w\[\]()]+\s+(\w+)(?:\s+((?:PK|FK|UK)(?:\s*,\s*(?:PK|FK|UK))*))?", re.M)


@dataclass(frozen=True)
class Diagram:
    document: Path
    number: int  # 1 = the document's first mermaid block
    text: str

    @property
    def label(self) -> str:
        where = self.document.relative_to(ROOT) if self.document.is_relative_to(ROOT) else self.document
        return f"{where} diagram #{self.number} ({self.text.split(None, 1)[0] if self.text.strip() else 'empty'})"


def diagrams(document: Path) -> list[Diagram]:
    return [Diagram(document, n, m.group(1)) for n, m in enumerate(_BLOCK.finditer(document.read_text()), 1)]


def _code_files(*suffixes: str) -> list[Path]:
    """The repository's own files with these suffixes; hidden folders (a student's .venv) and test code pruned."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_CODE and not d.startswith(".")]
        found += [Path(folder, name) for name in files if Path(name).suffix in suffixes]
    return found


@cache
def _python() -> dict[str, set[str]]:
    """Module file name ('transform') -> the names it defines with `def` (methods included) or `class`."""
    defined: dict[str, set[str]] = {}
    for path in _code_files(".py"):
        names = re.findall(r"^\s*(?:async\s+def|def|class)\s+(\w+)", path.read_text(), re.M)
        defined.setdefault(path.stem, set()).update(names)
    return defined


def _strip_sql_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


@cache
def _sql() -> dict[str, object]:
    """Schemas, tables (name -> columns, primary key, referencing columns) and SQL functions the code creates."""
    text = "\n".join(_strip_sql_comments(p.read_text()) for p in _code_files(".sql", ".py"))
    schemas = {s.lower() for s in re.findall(r"CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", text, re.I)}
    functions = {f.lower() for f in re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+\.\w+)", text, re.I)}
    tables: dict[str, dict[str, set[str]]] = {}
    for m in re.finditer(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+)?(TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                         r"(\w+\.\w+)\s*(\()?", text, re.I):
        info = tables.setdefault(m.group(2).lower(), {"columns": set(), "pk": set(), "fk": set(), "uk": set()})
        if m.group(1).upper() == "TABLE" and m.group(3):
            _columns(_parenthesised(text, m.end() - 1), info)
    return {"schemas": schemas, "functions": functions, "tables": tables}


def _parenthesised(text: str, start: int) -> str:
    """The text inside the parentheses that open at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1:i]
    return text[start + 1:]


def _columns(body: str, info: dict[str, set[str]]) -> None:
    items, depth, current = [], 0, ""
    for ch in body:  # split at top-level commas only
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items, current = items + [current], ""
        else:
            current += ch
    for item in items + [current]:
        words = item.split()
        if not words:
            continue
        if words[0].upper() == "PRIMARY":
            info["pk"].update(c.strip().lower() for c in _parenthesised(item, item.index("(")).split(","))
        elif words[0].upper() not in {"CHECK", "UNIQUE", "CONSTRAINT", "FOREIGN", "EXCLUDE", "LIKE"}:
            name = words[0].strip('"').lower()
            info["columns"].add(name)
            if re.search(r"\bPRIMARY\s+KEY\b", item, re.I):
                info["pk"].add(name)
            if re.search(r"\bREFERENCES\b", item, re.I):
                info["fk"].add(name)
            if re.search(r"\bUNIQUE\b", item, re.I):
                info["uk"].add(name)


def missing(diagram: Diagram) -> list[str]:
    """Every name in the diagram that the repository does not have, each with what it was taken for."""
    sql, python, problems = _sql(), _python(), []
    text = diagram.text
    for path in dict.fromkeys(_FILE.findall(text)):
        if not ((diagram.document.parent / path).exists() or (ROOT / path).exists()):
            problems.append(f"file {path} (not found next to {diagram.document.name} nor from the repository root)")
    text = _FILE.sub(" ", text)
    for module, name in dict.fromkeys(_CALL.findall(text)):
        if module and module.lower() in sql["schemas"] and f"{module}.{name}".lower() in sql["functions"]:
            continue
        if name in (python.get(module, set()) if module else set().union(*python.values())):
            continue
        where = f"in {module}.py" if module else "in the repository's Python"
        problems.append(f"function {module + '.' if module else ''}{name}() (no def {name} {where}"
                        + (f" nor SQL function {module}.{name}" if module in sql["schemas"] else "") + ")")
    text = _CALL.sub(" ", text)
    for schema, name in dict.fromkeys(_DOTTED.findall(text)):
        if schema.lower() in sql["schemas"] and f"{schema}.{name}".lower() not in sql["tables"]:
            problems.append(f"table {schema}.{name} (no CREATE TABLE {schema}.{name} in the repository's SQL)")
    for entity, block in _ENTITY.findall(diagram.text) if diagram.text.lstrip().startswith("erDiagram") else []:
        table = sql["tables"].get(entity.lower())
        for column, keys in _ATTRIBUTE.findall(block) if table else []:
            if column.lower() not in table["columns"]:
                problems.append(f"column {entity}.{column} (not a column of its CREATE TABLE)")
            for key, kind in (("PK", "pk"), ("FK", "fk"), ("UK", "uk")):
                if key in keys and column.lower() not in table[kind]:
                    problems.append(f"key {entity}.{column} {key} (the CREATE TABLE does not make it one)")
    return problems
