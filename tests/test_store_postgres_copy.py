"""The COPY text the PostgreSQL backend builds column-wise (``_columns_text``): every
value comes back as given, whether the whole-text check passes or every field must
be escaped (tabs, line breaks, backslashes, a text that reads like COPY's null)."""

from __future__ import annotations

import psycopg
import pytest

from screener.store.postgres.backend import _array, _columns_text, _copy_columns

PLAIN = [["a1", "a2", "a3"], [None, "x", None], [1, 2, 3], [1.5, None, float("inf")]]
NASTY = [
    ["\\N", "tab\there", "line\nbreak"],
    ["back\\slash", None, "cr\rhere"],
    [True, False, None],
    [0.1, -2.0, None],
]


@pytest.mark.parametrize("columns", [PLAIN, NASTY], ids=["plain", "nasty"])
def test_columns_come_back_as_given(pg_url: str, columns: list[list[object]]) -> None:
    kinds = ["text", "text", "bigint" if columns is PLAIN else "boolean", "double precision"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TEMP TABLE t (n serial, "
            + ", ".join(f"c{i} {kind}" for i, kind in enumerate(kinds))
            + ")"
        )
        with conn.cursor() as cur:
            _copy_columns(cur, "COPY t (c0, c1, c2, c3) FROM STDIN", columns)
        got = conn.execute("SELECT c0, c1, c2, c3 FROM t ORDER BY n").fetchall()
    assert got == [tuple(row) for row in zip(*columns, strict=True)]
    assert _columns_text(columns).count("\n") == 3


def test_an_id_list_comes_back_as_given(pg_url: str) -> None:
    ids = ["a", 'q"uote', "back\\slash", "{brace,comma}", " space ", "NULL", ""]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT %s::text[]", (_array(ids),)).fetchone() == (ids,)
        assert conn.execute("SELECT %s::text[]", (_array([]),)).fetchone() == ([],)


def test_many_rows_go_through_the_queued_writer_and_then_runs_before_the_end(
    pg_url: str,
) -> None:
    from screener.store.postgres.backend import COPY_ROWS

    count = 2 * COPY_ROWS + 7  # three blocks, written by psycopg's writer thread
    columns: list[list[object]] = [[f"id{n}" for n in range(count)], list(range(count))]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE t (id text PRIMARY KEY, n bigint)")
        with conn.cursor() as cur:
            done = _copy_columns(cur, "COPY t (id, n) FROM STDIN", columns, lambda: "then")
        assert done == "then"
        got = conn.execute("SELECT count(*), sum(n), min(id), max(id) FROM t").fetchone()
    assert got == (count, sum(range(count)), "id0", max(str(i) for i in columns[0]))
