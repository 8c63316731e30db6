"""Text and CSV files in the encodings people's programs save them in: Excel's usual UK
CSV (Windows-1252), its "Unicode text" (UTF-16 with a byte order mark), Latin-1 and UTF-8
with or without a byte order mark are taken, stored as UTF-8 (UTF-8 byte for byte; the
others converted, every character kept, with a byte order mark) and found by search. A file
that is not text is refused, and one named as text says why."""

import codecs

import pytest
from uploads import Part

from gvo.library import intake, search, sniff

from .conftest import ELF, stored_counts, upload

CSV_TEXT = "Item,Cost\r\nBooks,£120\r\nCafé supplies,£35\r\n"
UNICODE_TEXT = "Item\tCost\r\nBooks\t£120\r\nCafé supplies\t€35\r\nŁukasz Żółkiewski\t—\r\n"
TAKEN = {
    # The tester's file: Excel's "CSV (Comma delimited)" in the UK.
    "windows-1252 csv": ("costs.csv", CSV_TEXT.encode("cp1252"), CSV_TEXT, "text/csv"),
    "latin-1 text": ("notes.txt", "Café at 10 o'clock, £5 each\n".encode("latin-1"),
                     "Café at 10 o'clock, £5 each\n", "text/plain"),
    # Excel's "Unicode Text": UTF-16 little-endian with its mark, tab-separated.
    "utf-16le text": ("costs.txt", UNICODE_TEXT.encode("utf-16"), UNICODE_TEXT, "text/plain"),
    "utf-16be csv": ("costs.csv", codecs.BOM_UTF16_BE + CSV_TEXT.encode("utf-16-be"),
                     CSV_TEXT, "text/csv"),
    "utf-8 csv": ("costs.csv", CSV_TEXT.encode("utf-8"), CSV_TEXT, "text/csv"),
    "utf-8 csv with a mark": ("costs.csv", CSV_TEXT.encode("utf-8-sig"), CSV_TEXT,
                              "text/csv"),
}


@pytest.mark.parametrize("case", list(TAKEN))
def test_text_in_the_encodings_people_save_is_taken_stored_as_utf8_and_found(
        author_in_folder, lib, case):
    client, person, folder = author_in_folder
    name, data, text, mime = TAKEN[case]
    resp = upload(client, folder, [(name, data)])
    assert resp.status_code == 303, resp.get_data(as_text=True)
    doc = lib.conn.execute("SELECT id FROM documents").fetchone()[0]
    version = lib.conn.execute("SELECT mime, size, filename FROM document_versions"
                               " WHERE document_id = ?", (doc,)).fetchone()
    assert (version["mime"], version["filename"]) == (mime, name)
    stored = client.download(f"/alpha/library/documents/{doc}/download").get_data()
    # UTF-8 is kept byte for byte; anything else becomes UTF-8 with a byte order mark.
    expected = data if case.startswith("utf-8") else codecs.BOM_UTF8 + text.encode("utf-8")
    assert stored == expected and version["size"] == len(expected)
    assert stored.decode("utf-8-sig") == text
    # Its words are found, accents and all, with the document's text read right.
    found = search.search(lib.conn, lib.viewer(person), "Café")
    assert [r.item_id for r in found] == [doc]
    body = lib.conn.execute("SELECT body FROM search_fts f JOIN search_items i ON i.id ="
                            " f.rowid WHERE i.kind = 'document' AND i.item_id = ?",
                            (doc,)).fetchone()[0]
    assert text.replace("\r\n", "\n").split("\n")[1] in body.replace("\r\n", "\n")


REFUSED = {
    "a program named as CSV": ("costs.csv", ELF),
    "bytes Windows-1252 leaves undefined": ("costs.csv", b"Item,Cost\r\nBooks,\x81120\r\n"),
    "control bytes in 8-bit text": ("notes.txt", b"Caf\xe9 minutes\x02\x03 of the \x1bmeeting\n"),
    "a byte order mark before binary": ("notes.txt", codecs.BOM_UTF16_LE + b"\x00\xd8" * 50),
    "UTF-16 without its mark": ("notes.txt", "Minutes of the meeting".encode("utf-16-le")),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_file_named_as_text_that_is_not_text_is_refused_saying_why(author_in_folder, lib,
                                                                     case):
    client, _person, folder = author_in_folder
    name, data = REFUSED[case]
    before = stored_counts(lib.conn)
    resp = upload(client, folder, [(name, data)])
    page = resp.get_data(as_text=True)
    assert resp.status_code == 415
    assert (f"“{name}” is named as a text or CSV file, but its content is not text the "
            "library can read" in page)
    assert "UTF-16 with a byte order mark" in page and "Nothing was uploaded" in page
    assert stored_counts(lib.conn) == before


def test_a_binary_with_another_name_gets_the_list_of_types():
    with pytest.raises(intake.RefusedType, match="is not a file type the library accepts"):
        intake.receive([Part("tool.exe", ELF)], limit=10**6, max_files=1)


@pytest.mark.parametrize("case", list(TAKEN))
def test_the_encoding_is_judged_over_every_piece_however_the_file_arrives(case):
    name, data, text, mime = TAKEN[case]
    whole = sniff.text_encoding(data)
    sniffer = sniff.TextSniffer()
    for byte in data:
        sniffer.feed(bytes([byte]))
    assert sniffer.finish() == whole
    # One byte at a time through intake: the same file stored.
    with intake.receive([Part(name, data, piece=1)], limit=10**6, max_files=1) as got:
        assert got[0].mime == mime
        assert b"".join(got[0].chunks()).decode("utf-8-sig") == text
    # A non-ASCII character past the first megabyte still decides the whole file.
    late = ("x" * 1_100_000 + text).encode("cp1252", "replace")
    assert sniff.text_encoding(late) == "cp1252"
    assert sniff.text_encoding(late[:1_000_000]) == "utf-8"
