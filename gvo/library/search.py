"""One search box over folders, documents, pages and comments (FTS5 in the school DB).

`search_items` maps each item to an FTS5 rowid and to the folder that decides
who may see it; every query joins the viewer's visible folders, so a result
never names something the viewer may not open. The index lives inside the
encrypted database, like everything else.

FTS5's unicode61 tokenizer removes accents (é, ó, â) but keeps letters that are
not a base letter plus an accent (ł, ø, đ, ß, æ). So each row also holds, in its
`folded` column, the transliterated form of its non-ASCII words (`gvo.core.text.fold`:
Łódź -> lodz, Straße -> strasse), and each searched word is looked for as typed
and folded the same way: "Lodz" finds "Łódź", and "Łódź" still finds it.
Columns: title, about (a document's file name and description), body (a
document's extracted text, a page, a comment), folded.
"""

import re
from dataclasses import dataclass

from gvo.core import paging
from gvo.core import text as gvo_text
from gvo.core.identity import Identity
from gvo.library.access import visible_cte
from gvo.storage.sqlcipher import Connection

MARK_START, MARK_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_RESULTS = 50
SNIPPET_WORDS = 16
# How far into a body a snippet for a folded match looks (characters).
SNIPPET_SCAN = 200_000


def _rowid(conn: Connection, kind: str, item_id: int) -> int | None:
    row = conn.execute("SELECT id FROM search_items WHERE kind = ? AND item_id = ?",
                       (kind, item_id)).fetchone()
    return None if row is None else row["id"]


def index(conn: Connection, kind: str, item_id: int, folder_id: int | None,
          title: str, body: str | None = "", *, about: str = "") -> None:
    """Add or replace an item in the search index (inside the caller's transaction).

    `body=None` keeps the body already indexed (a document renamed keeps its text).
    """
    rowid = _rowid(conn, kind, item_id)
    if rowid is None:
        rowid = conn.execute(
            "INSERT INTO search_items(kind, item_id, folder_id) VALUES (?, ?, ?)",
            (kind, item_id, folder_id)).lastrowid
    else:
        conn.execute("UPDATE search_items SET folder_id = ? WHERE id = ?", (folder_id, rowid))
        if body is None:
            old = conn.execute("SELECT body FROM search_fts WHERE rowid = ?",
                               (rowid,)).fetchone()
            body = old["body"] if old else ""
        conn.execute("DELETE FROM search_fts WHERE rowid = ?", (rowid,))
    body = body or ""
    conn.execute("INSERT INTO search_fts(rowid, title, about, body, folded) VALUES (?, ?, ?, ?, ?)",
                 (rowid, title, about, body,
                  gvo_text.folded_words("\n".join((title, about, body)))))


def unindex(conn: Connection, kind: str, item_id: int) -> None:
    """Remove an item from the search index."""
    row = conn.execute("SELECT id FROM search_items WHERE kind = ? AND item_id = ?",
                       (kind, item_id)).fetchone()
    if row is not None:
        conn.execute("DELETE FROM search_fts WHERE rowid = ?", (row["id"],))
        conn.execute("DELETE FROM search_items WHERE id = ?", (row["id"],))


def _words(text: str) -> list[tuple[str, str]]:
    """The searched words (at most 12), each with its folded form."""
    return [(w, gvo_text.fold(w)) for w in _WORD.findall(text)[:12]]


def match_expression(text: str) -> str:
    """The user's words as an FTS5 query: every word must match, each as a prefix, as typed
    or folded (ł -> l, ß -> ss)."""
    terms = []
    for word, folded in _words(text):
        if folded and folded != word.lower():
            terms.append(f'("{word}"* OR "{folded}"*)')
        else:
            terms.append(f'"{word}"*')
    return " AND ".join(terms)


def _folded_hit(word: str, folded_terms: list[str]) -> bool:
    """Whether a word, folded, starts with one of the searched words, folded."""
    folded = word.lower() if word.isascii() else gvo_text.fold(word)
    return any(folded.startswith(t) for t in folded_terms)


def _folded_snippet(body: str, folded_terms: list[str]) -> str:
    """A snippet around the first word of `body` whose folded form starts with a searched
    word's, the matching words marked (for a row found only through its folded column)."""
    words = list(_WORD.finditer(body[:SNIPPET_SCAN]))

    def hit(word: str) -> bool:
        return _folded_hit(word, folded_terms)

    first = next((i for i, m in enumerate(words) if hit(m.group())), None)
    if first is None:
        return ""
    low = max(0, first - SNIPPET_WORDS // 4)
    window = words[low: low + SNIPPET_WORDS]
    out, at = [], window[0].start()
    for m in window:
        out.append(body[at: m.start()])
        out.append(f"{MARK_START}{m.group()}{MARK_END}" if hit(m.group()) else m.group())
        at = m.end()
    return ("…" if low else "") + "".join(out) + ("…" if low + SNIPPET_WORDS < len(words) else "")


@dataclass
class Result:
    """One search hit."""

    kind: str
    item_id: int
    title: str
    snippet: str
    subject_type: str | None = None
    subject_id: int | None = None


_LIVE = (
    "(si.kind = 'folder'"
    " OR (si.kind = 'document' AND EXISTS (SELECT 1 FROM documents d"
    "     WHERE d.id = si.item_id AND d.deleted_at IS NULL))"
    " OR (si.kind = 'page' AND EXISTS (SELECT 1 FROM pages p"
    "     WHERE p.id = si.item_id AND p.deleted_at IS NULL))"
    " OR (si.kind = 'comment' AND EXISTS (SELECT 1 FROM comments c"
    "     LEFT JOIN documents d ON c.subject_type = 'document' AND d.id = c.subject_id"
    "     LEFT JOIN pages p ON c.subject_type = 'page' AND p.id = c.subject_id"
    "     WHERE c.id = si.item_id AND c.deleted_at IS NULL"
    "     AND (d.id IS NOT NULL OR p.id IS NOT NULL)"
    "     AND d.deleted_at IS NULL AND p.deleted_at IS NULL)))"
)


def search(conn: Connection, viewer: Identity, text: str) -> list[Result]:
    """What the viewer may open that matches the words, best first: the first page."""
    return page(conn, viewer, text).items


_BM25 = "bm25(search_fts, 5.0, 2.0, 1.0, 1.0)"


def page(conn: Connection, viewer: Identity, text: str, after: str | None = None,
         size: int = MAX_RESULTS) -> paging.Page:
    """A page of what the viewer may open that matches the words, best first (by BM25
    rank, then index order), after the position `after` (`Page.after` of the page before;
    InvalidInput for a bad one). Every match is ranked to find a page (FTS5 ranks them all
    to sort), but only a page of them is read out with snippets."""
    expression = match_expression(text)
    if not expression:
        return paging.Page([])
    cte, params = visible_cte(viewer)
    params["q"] = expression
    marks = f"'{MARK_START}', '{MARK_END}', '…', {SNIPPET_WORDS}"
    found = paging.keyset(
        conn,
        cte + "SELECT * FROM (SELECT si.kind, si.item_id, search_fts.rowid AS rowid,"
        f" search_fts.title AS title, {_BM25} AS score,"
        f" snippet(search_fts, 2, {marks}) AS snip_body,"
        f" snippet(search_fts, 1, {marks}) AS snip_about,"
        " c.subject_type, c.subject_id"
        " FROM search_fts JOIN search_items si ON si.id = search_fts.rowid"
        " LEFT JOIN comments c ON si.kind = 'comment' AND c.id = si.item_id"
        " WHERE search_fts MATCH :q AND si.folder_id IN (SELECT id FROM visible_folders)"
        f" AND {_LIVE}) WHERE {{after}}",
        params, columns=("score", "rowid"), key_of=lambda r: (r["score"], r["rowid"]),
        after=after, size=size)
    folded_terms = [f for _w, f in _words(text) if f]
    return paging.Page([Result(r["kind"], r["item_id"], r["title"],
                               _snippet(conn, r, folded_terms), r["subject_type"],
                               r["subject_id"]) for r in found], found.after)


def _snippet(conn: Connection, row, folded_terms: list[str]) -> str:
    """FTS5's snippet of the body or the about column where a word matched as typed;
    otherwise one around a folded match in the body; otherwise the body's start."""
    for snip in (row["snip_body"], row["snip_about"]):
        if snip and MARK_START in snip:
            return snip
    if any(_folded_hit(w, folded_terms) for w in _WORD.findall(row["title"])):
        return row["snip_body"] or row["snip_about"] or ""  # the title shows the match
    body = conn.execute("SELECT substr(body, 1, ?) FROM search_fts WHERE rowid = ?",
                        (SNIPPET_SCAN, row["rowid"])).fetchone()[0] or ""
    return _folded_snippet(body, folded_terms) or row["snip_body"] or row["snip_about"] or ""


def count(conn: Connection, viewer: Identity, text: str) -> int:
    """How many items the viewer may open match (same rule as `search`)."""
    expression = match_expression(text)
    if not expression:
        return 0
    cte, params = visible_cte(viewer)
    params["q"] = expression
    return conn.execute(
        cte + "SELECT count(*) FROM search_fts JOIN search_items si ON si.id = search_fts.rowid"
        " WHERE search_fts MATCH :q AND si.folder_id IN (SELECT id FROM visible_folders)"
        f" AND {_LIVE}", params).fetchone()[0]
