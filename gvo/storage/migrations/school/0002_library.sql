-- The library: folders (some restricted), documents with versions, pages, comments,
-- approvals, a wastebin (deleted_at), and full-text search.

CREATE TABLE folders (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES folders(id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sort_order  INTEGER NOT NULL DEFAULT 0,
    restricted  INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
    owner_id    INTEGER REFERENCES users(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    deleted_by  INTEGER REFERENCES users(id)
);
CREATE INDEX folders_parent ON folders(parent_id);

-- Who may open a restricted folder (and everything it holds): a user or a group per row.
CREATE TABLE folder_access (
    id        INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    user_id   INTEGER REFERENCES users(id) ON DELETE CASCADE,
    group_id  INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL) != (group_id IS NULL))
);
CREATE UNIQUE INDEX folder_access_user ON folder_access(folder_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX folder_access_group ON folder_access(folder_id, group_id) WHERE group_id IS NOT NULL;

-- File contents, stored once per upload in fixed-size chunks (sha256 of the whole).
CREATE TABLE blobs (
    id         INTEGER PRIMARY KEY,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    chunk_size INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE blob_chunks (
    id      INTEGER PRIMARY KEY,
    blob_id INTEGER NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    UNIQUE (blob_id, seq)
);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES folders(id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_id    INTEGER REFERENCES users(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    deleted_by  INTEGER REFERENCES users(id)
);
CREATE INDEX documents_folder ON documents(folder_id);

CREATE TABLE document_versions (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    blob_id     INTEGER NOT NULL REFERENCES blobs(id),
    filename    TEXT NOT NULL,          -- the original name: shown, and sent on download only
    mime        TEXT NOT NULL,          -- decided from the content
    size        INTEGER NOT NULL,
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    UNIQUE (document_id, number)
);

CREATE TABLE pages (
    id         INTEGER PRIMARY KEY,
    folder_id  INTEGER NOT NULL REFERENCES folders(id),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',      -- Markdown; rendered and sanitised on display
    owner_id   INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by INTEGER REFERENCES users(id)
);
CREATE INDEX pages_folder ON pages(folder_id);

-- Comments attach to any subject: ('document', id), ('page', id), later meetings, policies...
CREATE TABLE comments (
    id           INTEGER PRIMARY KEY,
    subject_type TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    parent_id    INTEGER REFERENCES comments(id),
    author_id    INTEGER REFERENCES users(id),
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    edited_at    TEXT,
    deleted_at   TEXT
);
CREATE INDEX comments_subject ON comments(subject_type, subject_id);

CREATE TABLE comment_locks (
    subject_type TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    locked_by    INTEGER REFERENCES users(id),
    locked_at    TEXT NOT NULL,
    PRIMARY KEY (subject_type, subject_id)
);

CREATE TABLE approvals (
    subject_type TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('approved', 'read_approved')),
    requested_by INTEGER REFERENCES users(id),
    requested_at TEXT NOT NULL,
    locked_by    INTEGER REFERENCES users(id),
    locked_at    TEXT,
    PRIMARY KEY (subject_type, subject_id)
);

CREATE TABLE approval_marks (
    subject_type TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    at           TEXT NOT NULL,
    PRIMARY KEY (subject_type, subject_id, user_id)
);

-- Search: one row per searchable item; the FTS5 row shares its rowid.
CREATE TABLE search_items (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,         -- folder | document | page | comment
    item_id   INTEGER NOT NULL,
    folder_id INTEGER,               -- where access is decided (NULL: not in the library)
    UNIQUE (kind, item_id)
);

CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
