-- Issue 12: PDF copies of Word, Excel, PowerPoint and OpenDocument files, made once per
-- document version by LibreOffice (gvo/library/pdf_copies.py) so board packs can merge them.
-- Keyed by the version's content (its blob): a version is converted once. The copy is a
-- blob like any other (encrypted, replicated); a failed conversion keeps its status and no
-- copy, so it is not tried again for that version.
CREATE TABLE document_pdfs (
    blob_id      INTEGER PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
    status       TEXT NOT NULL,          -- ok | unreadable | limit:time | limit:size
    pdf_blob_id  INTEGER REFERENCES blobs(id),
    converted_at TEXT NOT NULL
);
