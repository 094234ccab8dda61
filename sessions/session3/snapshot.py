"""Session 3: the pipeline's whole state as ordered rows, to compare two runs exactly.

Every table of bronze, silver and pipeline, every column except the wall-clock
ones (``timestamptz``: when a row was written, which differs between any two
runs by nature). Two runs "end in the same state" when their snapshots are equal.
"""
from __future__ import annotations

SCHEMAS = ("bronze", "silver", "pipeline")


def _tables(cur, per_column: str) -> list[tuple[str, object]]:
    """(schema.table, aggregate of ``per_column`` over its compared columns), by table name."""
    cur.execute(f"""SELECT c.table_schema || '.' || c.table_name, {per_column}
                      FROM information_schema.columns c JOIN information_schema.tables t
                           USING (table_schema, table_name)
                     WHERE c.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE'
                       AND c.data_type <> 'timestamp with time zone'
                     GROUP BY 1 ORDER BY 1""", (list(SCHEMAS),))
    return cur.fetchall()


def snapshot(conn) -> dict[str, list[tuple]]:
    out = {}
    with conn.cursor() as cur:
        for table, columns in _tables(cur, "array_agg(quote_ident(c.column_name) ORDER BY c.ordinal_position)"):
            cols = ", ".join(columns)
            cur.execute(f"SELECT {cols} FROM {table} ORDER BY {cols}")
            out[table] = cur.fetchall()
    conn.rollback()
    return out


def reset(conn) -> None:
    """Drop everything the pipeline made (tests start again from nothing)."""
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS silver, pipeline, bronze CASCADE")
    conn.commit()


def digest(conn) -> dict[str, tuple[int, str]]:
    """Per table: (rows, md5 of all rows in order), computed in the database (for the full data)."""
    out = {}
    with conn.cursor() as cur:
        row_expr = ("string_agg(format('coalesce(%%I::text, %%L)', c.column_name, '∅'), ' || ''|'' || ' "
                    "ORDER BY c.ordinal_position)")
        for table, row_text in _tables(cur, row_expr):
            cur.execute(f"SELECT count(*), md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) "
                        f"FROM (SELECT {row_text} AS r FROM {table}) AS rows")
            out[table] = cur.fetchone()
    conn.rollback()
    return out
