-- Share, subscribe and meeting mail (issue 13).

-- Who follows a commentable item (a discussion subject: document, page, minutes, ...).
-- A subject's creator follows it without a row; a row with following = 0 is someone who
-- stopped (the creator included), following = 1 someone who started or was subscribed by a
-- Manager (set_by).
CREATE TABLE follows (
    subject_type TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    following    INTEGER NOT NULL CHECK (following IN (0, 1)),
    set_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    set_at       TEXT NOT NULL,                 -- UTC ISO 8601
    PRIMARY KEY (subject_type, subject_id, user_id)
);
CREATE INDEX follows_user ON follows(user_id);

-- Shares sent (for the hourly limit, and the record of who shared what with how many).
CREATE TABLE shares (
    id          INTEGER PRIMARY KEY,
    sender_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    item        TEXT NOT NULL,                  -- kind:id
    recipients  INTEGER NOT NULL,               -- how many people it was sent to
    at          REAL NOT NULL                   -- epoch seconds, UTC
);
CREATE INDEX shares_sender ON shares(sender_id, at);

-- When the clerk last published a meeting's papers (UTC ISO 8601), and who: the statutory
-- notice check (7 clear days) reads it.
ALTER TABLE meetings ADD COLUMN papers_published_at TEXT;
ALTER TABLE meetings ADD COLUMN papers_published_by INTEGER REFERENCES users(id)
    ON DELETE SET NULL;

-- "Will you attend?" reminders sent: one per meeting and person.
CREATE TABLE meeting_reminders (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sent_at    TEXT NOT NULL,                   -- UTC ISO 8601
    PRIMARY KEY (meeting_id, user_id)
);
