-- Issue 16, discussions: topics in the library's folders (so rooms and restricted folders
-- apply), each a subject of the discussion layer ('topic', id): its comments, approvals
-- and followers are the shared tables'. Times are UTC ISO 8601.
CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES folders(id),
    title       TEXT NOT NULL,
    -- The title's sort key in any script (gvo.discussion.topics.title_key): transliterated
    -- and case-folded, so "Łódź" sorts with L and "ćwiczenia" beside "Ćwiczenia".
    title_key   TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',   -- the opening text: Markdown, sanitised on display
    owner_id    INTEGER REFERENCES users(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,              -- the title or text last changed
    active_at   TEXT NOT NULL,              -- newest activity: made, changed or commented on
    deleted_at  TEXT,                       -- in the library's wastebin
    deleted_by  INTEGER REFERENCES users(id)
);
-- The lists, each read a page at a time through its own order (gvo/core/paging.py).
CREATE INDEX topics_active ON topics(active_at, id);
CREATE INDEX topics_folder_active ON topics(folder_id, active_at, id);
CREATE INDEX topics_title ON topics(title_key, id);
-- What's new (home, newsletter): newest first.
CREATE INDEX topics_created ON topics(created_at);
