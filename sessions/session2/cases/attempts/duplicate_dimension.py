"""Attempts at duplicate_dimension (spoilers): what students hand in, and the verdict due."""
from failurelab.attempts import right, wrong

HISTORY_TABLE = """
CREATE TABLE IF NOT EXISTS silver.dim_product_history (
    version_key integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stock_code  text NOT NULL,
    description text NOT NULL,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS dim_product_history_one_current
    ON silver.dim_product_history (stock_code) WHERE valid_to IS NULL"""


def _unique_codes(rows):
    seen = set()
    for code, _ in rows:
        if code in seen:
            raise ValueError(f"stock_code {code} appears twice: pick one description per code first")
        seen.add(code)


@right("Python decides: read the current rows, then UPDATE what changed and INSERT what is new")
class ReadCompareWrite:
    def scd1_upsert(conn, rows):
        _unique_codes(rows)
        written = 0
        with conn.cursor() as cur:
            cur.execute("SELECT stock_code, description FROM silver.dim_product WHERE stock_code = ANY(%s)",
                        ([code for code, _ in rows],))
            current = dict(cur.fetchall())
            for code, description in rows:
                if code not in current:
                    cur.execute("""INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes,
                                                                 descriptions_seen)
                                   VALUES (%s, %s, silver.is_product_code(%s), ARRAY[%s], 1)""",
                                (code, description, code, code))
                    written += 1
                elif current[code] != description:
                    cur.execute("UPDATE silver.dim_product SET description = %s, updated_at = now() "
                                "WHERE stock_code = %s", (description, code))
                    written += 1
        conn.commit()
        return written

    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        opened = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            cur.execute("SELECT stock_code, description FROM silver.dim_product_history WHERE valid_to IS NULL")
            current = dict(cur.fetchall())
            for code, description in rows:
                if current.get(code) == description:
                    continue
                if code in current:
                    cur.execute("UPDATE silver.dim_product_history SET valid_to = %s "
                                "WHERE stock_code = %s AND valid_to IS NULL", (at, code))
                cur.execute("INSERT INTO silver.dim_product_history (stock_code, description, valid_from) "
                            "VALUES (%s, %s, %s)", (code, description, at))
                opened += 1
        conn.commit()
        return opened


@right("one MERGE statement per batch (PostgreSQL 15) for SCD1; SCD2 with a data-modifying CTE per row")
class MergeStatement:
    def scd1_upsert(conn, rows):
        if len({code for code, _ in rows}) != len(rows):
            raise ValueError("one row per stock_code, please")
        if not rows:
            return 0
        values = ", ".join(["(%s, %s)"] * len(rows))
        with conn.cursor() as cur:
            cur.execute(f"""
                MERGE INTO silver.dim_product p
                USING (VALUES {values}) AS s(code, description) ON p.stock_code = s.code
                WHEN MATCHED AND p.description <> s.description THEN
                    UPDATE SET description = s.description, updated_at = now()
                WHEN NOT MATCHED THEN
                    INSERT (stock_code, description, is_product, source_codes, descriptions_seen)
                    VALUES (s.code, s.description, silver.is_product_code(s.code), ARRAY[s.code], 1)""",
                        [v for row in rows for v in row])
            written = cur.rowcount
        conn.commit()
        return written

    def scd2_upsert(conn, rows, at):
        if len({code for code, _ in rows}) != len(rows):
            raise ValueError("one row per stock_code, please")
        opened = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            for code, description in rows:
                cur.execute("""
                    WITH closed AS (
                        UPDATE silver.dim_product_history SET valid_to = %(at)s
                        WHERE stock_code = %(code)s AND valid_to IS NULL AND description <> %(d)s
                        RETURNING 1)
                    INSERT INTO silver.dim_product_history (stock_code, description, valid_from)
                    SELECT %(code)s, %(d)s, %(at)s
                    WHERE EXISTS (SELECT FROM closed)
                       OR NOT EXISTS (SELECT FROM silver.dim_product_history
                                      WHERE stock_code = %(code)s AND valid_to IS NULL)""",
                            {"code": code, "d": description, "at": at})
                opened += cur.rowcount
        conn.commit()
        return opened


@wrong("deletes the old row and inserts the new one: the product gets a new product_key and the fact loses it",
       caught_by="scd1_overwrites_in_place_and_keeps_the_key")
class DeleteThenInsert(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        _unique_codes(rows)
        written = 0
        with conn.cursor() as cur:
            for code, description in rows:
                cur.execute("SELECT description FROM silver.dim_product WHERE stock_code = %s", (code,))
                found = cur.fetchone()
                if found and found[0] == description:
                    continue
                cur.execute("DELETE FROM silver.dim_product WHERE stock_code = %s", (code,))
                cur.execute("""INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes,
                                                             descriptions_seen)
                               VALUES (%s, %s, silver.is_product_code(%s), ARRAY[%s], 1)""",
                            (code, description, code, code))
                written += 1
        conn.commit()
        return written


@wrong("ON CONFLICT DO UPDATE without a WHERE: an unchanged row is rewritten and counted",
       caught_by="scd1_overwrites_in_place_and_keeps_the_key")
class UpdatesUnchangedRows(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        _unique_codes(rows)
        written = 0
        with conn.cursor() as cur:
            for code, description in rows:
                cur.execute("""INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes,
                                                             descriptions_seen)
                               VALUES (%(c)s, %(d)s, silver.is_product_code(%(c)s), ARRAY[%(c)s], 1)
                               ON CONFLICT (stock_code) DO UPDATE SET description = EXCLUDED.description""",
                            {"c": code, "d": description})
                written += cur.rowcount
        conn.commit()
        return written


@wrong("ON CONFLICT DO NOTHING: no error any more, but a renamed product keeps its old description",
       caught_by="scd1_overwrites_in_place_and_keeps_the_key")
class ConflictDoNothing(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        _unique_codes(rows)
        written = 0
        with conn.cursor() as cur:
            for code, description in rows:
                cur.execute("""INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes,
                                                             descriptions_seen)
                               VALUES (%(c)s, %(d)s, silver.is_product_code(%(c)s), ARRAY[%(c)s], 1)
                               ON CONFLICT (stock_code) DO NOTHING""", {"c": code, "d": description})
                written += cur.rowcount
        conn.commit()
        return written


@wrong("keeps the last description of a duplicated code (a dict) instead of refusing: the choice is left to chance",
       caught_by="scd1_refuses_two_rows")
class LastOneWins(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        return ReadCompareWrite.scd1_upsert(conn, list(dict(rows).items()))


@wrong("finds the duplicate only on its second row, after writing the first: a caller's commit would keep it",
       caught_by="scd1_refuses_two_rows")
class RefusesTooLate(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        seen, written = set(), 0
        with conn.cursor() as cur:
            for code, description in rows:
                if code in seen:
                    raise ValueError(f"stock_code {code} twice")
                seen.add(code)
                cur.execute("""INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes,
                                                             descriptions_seen)
                               VALUES (%(c)s, %(d)s, silver.is_product_code(%(c)s), ARRAY[%(c)s], 1)
                               ON CONFLICT (stock_code) DO UPDATE SET description = EXCLUDED.description
                               WHERE silver.dim_product.description <> EXCLUDED.description""",
                            {"c": code, "d": description})
                written += cur.rowcount
        conn.commit()
        return written


@wrong("never commits: the dimension looks right on its own connection and is gone for everyone else",
       caught_by="scd1_overwrites_in_place_and_keeps_the_key")
class Scd1NeverCommits(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        _unique_codes(rows)
        written = 0
        with conn.cursor() as cur:
            for code, description in rows:
                cur.execute("""INSERT INTO silver.dim_product (stock_code, description, is_product, source_codes,
                                                             descriptions_seen)
                               VALUES (%(c)s, %(d)s, silver.is_product_code(%(c)s), ARRAY[%(c)s], 1)
                               ON CONFLICT (stock_code) DO UPDATE SET description = EXCLUDED.description
                               WHERE silver.dim_product.description <> EXCLUDED.description""",
                            {"c": code, "d": description})
                written += cur.rowcount
        return written


@wrong("closes every version of a changed code, not only the current one: the history's dates are rewritten",
       caught_by="scd2_keeps_every_version")
class ClosesEveryVersion(ReadCompareWrite):
    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        opened = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            for code, description in rows:
                cur.execute("SELECT description FROM silver.dim_product_history "
                            "WHERE stock_code = %s AND valid_to IS NULL", (code,))
                current = cur.fetchone()
                if current and current[0] == description:
                    continue
                cur.execute("UPDATE silver.dim_product_history SET valid_to = %s WHERE stock_code = %s",
                            (at, code))
                cur.execute("INSERT INTO silver.dim_product_history (stock_code, description, valid_from) "
                            "VALUES (%s, %s, %s)", (code, description, at))
                opened += 1
        conn.commit()
        return opened


@wrong("closes every version whose description differs (no `valid_to IS NULL`): older closed versions get a new "
       "valid_to", caught_by="scd2_keeps_every_version")
class ClosesOtherDescriptions(ReadCompareWrite):
    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        opened = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            for code, description in rows:
                cur.execute("SELECT 1 FROM silver.dim_product_history "
                            "WHERE stock_code = %s AND valid_to IS NULL AND description = %s", (code, description))
                if cur.fetchone():
                    continue
                cur.execute("UPDATE silver.dim_product_history SET valid_to = %s "
                            "WHERE stock_code = %s AND description <> %s", (at, code, description))
                cur.execute("INSERT INTO silver.dim_product_history (stock_code, description, valid_from) "
                            "VALUES (%s, %s, %s)", (code, description, at))
                opened += 1
        conn.commit()
        return opened


@wrong("opens a version only for a description never seen: renaming back to an old name is lost",
       caught_by="scd2_keeps_every_version")
class NewDescriptionsOnly(ReadCompareWrite):
    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        opened = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            for code, description in rows:
                cur.execute("SELECT EXISTS (SELECT FROM silver.dim_product_history "
                            "WHERE stock_code = %s AND description = %s)", (code, description))
                if cur.fetchone()[0]:
                    continue
                cur.execute("UPDATE silver.dim_product_history SET valid_to = %s "
                            "WHERE stock_code = %s AND valid_to IS NULL", (at, code))
                cur.execute("INSERT INTO silver.dim_product_history (stock_code, description, valid_from) "
                            "VALUES (%s, %s, %s)", (code, description, at))
                opened += 1
        conn.commit()
        return opened


@wrong("dates the versions with now() instead of the time of the change it was given",
       caught_by="scd2_keeps_every_version")
class ValidFromNow(ReadCompareWrite):
    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        opened = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            for code, description in rows:
                cur.execute("UPDATE silver.dim_product_history SET valid_to = now() "
                            "WHERE stock_code = %s AND valid_to IS NULL AND description <> %s", (code, description))
                cur.execute("""INSERT INTO silver.dim_product_history (stock_code, description, valid_from)
                               SELECT %(c)s, %(d)s, now() WHERE NOT EXISTS (SELECT FROM silver.dim_product_history
                                   WHERE stock_code = %(c)s AND valid_to IS NULL)""", {"c": code, "d": description})
                opened += cur.rowcount
        conn.commit()
        return opened


@wrong("counts the rows it touched (the close and the open) instead of the versions opened",
       caught_by="scd2_keeps_every_version")
class CountsClosedAndOpened(ReadCompareWrite):
    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        touched = 0
        with conn.cursor() as cur:
            cur.execute(HISTORY_TABLE)
            for code, description in rows:
                cur.execute("UPDATE silver.dim_product_history SET valid_to = %s "
                            "WHERE stock_code = %s AND valid_to IS NULL AND description <> %s", (at, code, description))
                touched += cur.rowcount
                cur.execute("""INSERT INTO silver.dim_product_history (stock_code, description, valid_from)
                               SELECT %(c)s, %(d)s, %(at)s WHERE NOT EXISTS (SELECT FROM silver.dim_product_history
                                   WHERE stock_code = %(c)s AND valid_to IS NULL)""",
                            {"c": code, "d": description, "at": at})
                touched += cur.rowcount
        conn.commit()
        return touched


@wrong("the history table without the unique index: nothing stops a second current version of a code",
       caught_by="scd2_allows_one_current_version")
class NoCurrentIndex(ReadCompareWrite):
    def scd2_upsert(conn, rows, at):
        _unique_codes(rows)
        opened = 0
        with conn.cursor() as cur:
            cur.execute("""CREATE TABLE IF NOT EXISTS silver.dim_product_history (
                               version_key integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                               stock_code text NOT NULL, description text NOT NULL,
                               valid_from timestamptz NOT NULL, valid_to timestamptz)""")
            for code, description in rows:
                cur.execute("UPDATE silver.dim_product_history SET valid_to = %s "
                            "WHERE stock_code = %s AND valid_to IS NULL AND description <> %s", (at, code, description))
                cur.execute("""INSERT INTO silver.dim_product_history (stock_code, description, valid_from)
                               SELECT %(c)s, %(d)s, %(at)s WHERE NOT EXISTS (SELECT FROM silver.dim_product_history
                                   WHERE stock_code = %(c)s AND valid_to IS NULL)""",
                            {"c": code, "d": description, "at": at})
                opened += cur.rowcount
        conn.commit()
        return opened


def _upsert_on_conflict(conn, rows, is_product_sql, differs_sql):
    _unique_codes(rows)
    written = 0
    with conn.cursor() as cur:
        for code, description in rows:
            cur.execute(f"""INSERT INTO silver.dim_product AS p (stock_code, description, is_product, source_codes,
                                                                descriptions_seen)
                            VALUES (%(c)s, %(d)s, {is_product_sql}, ARRAY[%(c)s], 1)
                            ON CONFLICT (stock_code) DO UPDATE SET description = EXCLUDED.description
                            WHERE {differs_sql}""", {"c": code, "d": description})
            written += cur.rowcount
    conn.commit()
    return written


@wrong("compares the descriptions with lower(): a correction in case only is never written",
       caught_by="scd1_overwrites_in_place_and_keeps_the_key")
class CaseInsensitiveCompare(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        return _upsert_on_conflict(conn, rows, "silver.is_product_code(%(c)s)",
                                   "lower(p.description) <> lower(EXCLUDED.description)")


@wrong("sets is_product = true for every code: postage (POST) is counted as a product",
       caught_by="scd1_overwrites_in_place_and_keeps_the_key")
class EveryCodeIsAProduct(ReadCompareWrite):
    def scd1_upsert(conn, rows):
        return _upsert_on_conflict(conn, rows, "true", "p.description IS DISTINCT FROM EXCLUDED.description")
