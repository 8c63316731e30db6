"""Long lists served a page at a time, by keyset ("seek") pagination.

A list is read in a stable order whose key is unique (for example `(title, id)`); a page
is the next `size` rows whose key comes after the last key of the previous page. Unlike
OFFSET, the database starts each page at the key (through an index) instead of reading
and dropping every earlier row, and a row added or removed meanwhile does not shift the
pages: following the pages from the first reaches every row that stayed exactly once.
(https://use-the-index-luke.com/no-offset; SQLite row values, https://sqlite.org/rowvalue.html)

The position is sent to the browser as an opaque token (the key's values as JSON, in
URL-safe base64); a token only ever becomes query parameters compared with the key, so a
forged one can only move the start of a list the viewer may read anyway.
"""

import base64
import binascii
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from gvo.core import text
from gvo.core.errors import InvalidInput
from gvo.storage.sqlcipher import Connection

SIZE = 50          # rows per page unless a list says otherwise
MAX_TOKEN = 2000   # characters: a key is a few short values
Key = tuple


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, and the token of the next page (None on the last).

    Iterating, `len` and truth are the rows', so a template that looped over the whole
    list loops over the page unchanged."""

    items: list
    after: str | None = None

    def __iter__(self) -> Iterator:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def encode(key: Sequence) -> str:
    """The token for a key (a tuple of str, int, float or None)."""
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None, arity: int) -> Key | None:
    """The key in a token from `encode`, or None for no token (the first page).

    Raises InvalidInput for anything else (cut short, edited, another list's token, or
    text with lone surrogates, which JSON can escape but SQLite cannot store or compare)."""
    if not token:
        return None
    bad = InvalidInput("That link to the rest of the list is not valid; "
                       "open the list again from its first page.")
    if len(token) > MAX_TOKEN:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if (not isinstance(key, list) or len(key) != arity
            or not all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool)
                       or isinstance(v, str) and text.is_well_formed(v) for v in key)):
        raise bad
    return tuple(key)


def after_clause(columns: Sequence[str], key: Key | None, *, descending: bool = False,
                 prefix: str = "_k") -> tuple[str, dict]:
    """The condition "the row's key comes after `key`" for a WHERE clause, with its
    parameters: `(a, b) > (:_k0, :_k1)` (`<` when the order is descending), or `1` (always
    true) for the first page. `columns` are SQL expressions, in the order's order; each
    compares with its own collation (a `COLLATE NOCASE` expression compares as NOCASE)."""
    if key is None:
        return "1", {}
    names = [f"{prefix}{i}" for i in range(len(columns))]
    op = "<" if descending else ">"
    clause = f"({', '.join(columns)}) {op} ({', '.join(':' + n for n in names)})"
    return clause, dict(zip(names, key, strict=True))


def order_clause(columns: Sequence[str], *, descending: bool = False) -> str:
    """`a ASC, b ASC` (or DESC) for the key's columns."""
    direction = " DESC" if descending else ""
    return ", ".join(c + direction for c in columns)


def keyset(conn: Connection, sql: str, params: dict, *, columns: Sequence[str],
           key_of: Callable[[object], Sequence], after: str | None, size: int = SIZE,
           descending: bool = False) -> Page:
    """One page of the rows of `sql`, in the order of `columns`, after the token `after`.

    `sql` is a SELECT with named parameters (`params`) and the placeholder `{after}`
    where the keyset condition goes in its WHERE clause; this function adds ORDER BY and
    LIMIT. `key_of(row)` gives a row's key (the values of `columns`). Reads at most
    `size + 1` rows. Raises InvalidInput for a bad token."""
    rows, more = fetch(conn, sql, params, columns=columns, after=decode(after, len(columns)),
                       size=size, descending=descending)
    return page_of(rows, more, key_of)


def limit_clause(rows: int) -> str:
    """`LIMIT n`, the number written into the SQL (a whole number, checked).

    Not a bound parameter: SQLite plans with a bound LIMIT's value, so a statement whose
    LIMIT is bound is compiled again at every execution instead of coming from the
    connection's statement cache (tests/test_query_counts.py checks pages compile
    nothing the second time)."""
    return f"LIMIT {operator.index(rows)}"


def fetch(conn: Connection, sql: str, params: dict, *, columns: Sequence[str],
          after: Key | None, size: int, descending: bool = False) -> tuple[list, bool]:
    """The next `size` rows after the key `after` (see `keyset`), and whether more follow."""
    clause, extra = after_clause(columns, after, descending=descending)
    # The limit is written into the SQL, never bound: SQLite (3.47 on) reads a bound LIMIT's
    # value while planning, so every execution with a bound LIMIT is compiled again (for
    # the news on the home page, 0.7 ms a time). A page size is one of a few numbers, so
    # the statements stay few and cached.
    query = (sql.replace("{after}", clause)
             + f" ORDER BY {order_clause(columns, descending=descending)} {limit_clause(size + 1)}")
    rows = conn.execute(query, {**params, **extra}).fetchall()
    return rows[:size], len(rows) > size


def page_of(rows: list, more: bool, key_of: Callable[[object], Sequence]) -> Page:
    """A Page of `rows` (already cut to the page), whose next page starts after the last."""
    return Page(rows, encode(tuple(key_of(rows[-1]))) if more and rows else None)
