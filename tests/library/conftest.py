"""Library fixtures: people of every role, folders and rooms, files made in the test."""

import io
import zipfile

import pytest
from conftest import page_text, sign_in
from uploads import Part  # noqa: F401 - the library tests take it from here

from gvo.core.identity import Identity


def make_docx(text: str) -> bytes:
    """A minimal Word document holding `text`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml",
                    '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                    'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
                    f'{text}</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode"


class Library:
    """Direct access to the school's library services for arranging tests."""

    def __init__(self, instance, slug="alpha"):
        self.instance, self.slug = instance, slug

    @property
    def conn(self):
        """The school's connection."""
        return self.instance.db(self.slug)

    def viewer(self, person) -> Identity:
        """A person as a library viewer."""
        return Identity(person.id, person.role, email=person.email)


@pytest.fixture
def lib(instance, school):
    """Service-level access to the library of school alpha."""
    return Library(instance)


@pytest.fixture
def as_role(make_user, new_client):
    """Factory: as_role(role) -> (client, person), each with its own signed-in client."""

    def make(role="author"):
        person = make_user("alpha", role)
        client = new_client()
        resp = sign_in(client, person)
        assert resp.status_code == 302
        return client, person

    return make


@pytest.fixture
def board_papers(as_role, lib):
    """A Manager (signed in) and the top-level folder "Board papers" they made: (manager, id)."""
    from gvo.library import folders

    _client, manager = as_role("manager")
    folder = folders.create_folder(lib.conn, lib.viewer(manager), parent_id=None,
                                   title="Board papers")
    return manager, folder


@pytest.fixture
def author_in_folder(as_role, board_papers):
    """(signed-in Author's client, the Author, a folder a Manager made for board papers)."""
    _manager, folder = board_papers
    client, person = as_role("author")
    return client, person, folder


def stored_counts(conn) -> tuple[int, ...]:
    """How many blobs, chunks, documents, versions and search items the school holds."""
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                 for t in ("blobs", "blob_chunks", "documents", "document_versions",
                           "search_items"))


def multipart(fields: list[tuple[str, str | tuple[str, bytes]]]) -> tuple[bytes, str]:
    """Encode form fields in the given order: ("name", "value") or ("name", (filename, bytes))."""
    boundary = "gvo-test-boundary-7d1c"
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, body = value
            escaped = filename.replace('"', "%22")  # as browsers do
            out.write(f'Content-Disposition: form-data; name="{name}"; filename="{escaped}"\r\n'
                      "Content-Type: application/octet-stream\r\n\r\n".encode())
            out.write(body)
        else:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload(client, folder_id, files, *, htmx=False, slug="alpha", page=True, url=None,
           field="files"):
    """POST files to a folder the way the page's form does (CSRF token before the files)."""
    if page:
        client.get(f"/{slug}/library/folders/{folder_id}")
    if 'name="csrf_token" type="hidden"' not in client.last_text:
        client.get(f"/{slug}/profile")
    fields = [("csrf_token", client.token())] + [(field, (n, b)) for n, b in files]
    body, content_type = multipart(fields)
    return post_raw(client, url or f"/{slug}/library/folders/{folder_id}/upload", body,
                    content_type, htmx=htmx)


def post_raw(client, url, body: bytes, content_type: str, *, htmx=False, headers=None):
    """POST an already encoded body, with the Referer a browser sends."""
    sent = {"Referer": "https://localhost" + url, **(headers or {})}
    if htmx:
        sent["HX-Request"] = "true"
    resp = client.c.post(url, data=body, base_url="https://localhost",
                         content_type=content_type, headers=sent)
    client.last, client.last_text = resp, page_text(resp)
    return resp


def post_from(client, page, url, data=None, **kw):
    """POST as if from `page`; a page without forms (a Reader's) borrows the profile's token."""
    client.get(page)
    if 'name="csrf_token" type="hidden"' not in client.last_text:
        client.get("/alpha/profile")
    return client.post(url, data or {}, headers={"Referer": "https://localhost" + page}, **kw)
