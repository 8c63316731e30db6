-- Meetings of the board and its committees: agenda, papers, attendance, minutes, feeds.
-- Times are the school's local wall-clock time ('YYYY-MM-DDTHH:MM', Europe/London).
CREATE TABLE meetings (
    id             INTEGER PRIMARY KEY,
    body_id        INTEGER NOT NULL REFERENCES bodies(id),
    title          TEXT NOT NULL,
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    location       TEXT NOT NULL DEFAULT '',
    online_link    TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    folder_id      INTEGER,              -- the library folder holding its papers
    status         TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','cancelled')),
    cancel_reason  TEXT NOT NULL DEFAULT '',
    register_locked_at TEXT,
    register_locked_by INTEGER REFERENCES users(id),
    minutes_status TEXT NOT NULL DEFAULT 'draft'
                   CHECK (minutes_status IN ('draft','circulated','approved','locked')),
    minutes_approved_at         TEXT,
    minutes_approved_by         INTEGER REFERENCES users(id),
    minutes_approved_meeting_id INTEGER REFERENCES meetings(id),
    created_by     INTEGER REFERENCES users(id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX meetings_starts ON meetings(starts_at);
CREATE INDEX meetings_body ON meetings(body_id, starts_at);

CREATE TABLE agenda_items (
    id           INTEGER PRIMARY KEY,
    meeting_id   INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    title        TEXT NOT NULL,
    purpose      TEXT NOT NULL CHECK (purpose IN ('information','discussion','decision')),
    presenter    TEXT NOT NULL DEFAULT '',
    minutes      INTEGER NOT NULL DEFAULT 0,
    confidential INTEGER NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1))
);
CREATE INDEX agenda_items_meeting ON agenda_items(meeting_id, position);

-- A paper is a library document, page or policy attached to an agenda item.
CREATE TABLE agenda_papers (
    id        INTEGER PRIMARY KEY,
    item_id   INTEGER NOT NULL REFERENCES agenda_items(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('document','page','policy')),
    ref_id    INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    added_by  INTEGER REFERENCES users(id),
    added_at  TEXT NOT NULL,
    UNIQUE (item_id, kind, ref_id)
);

-- Before the meeting: each member's own answer.
CREATE TABLE attendance_replies (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reply      TEXT NOT NULL CHECK (reply IN ('attending','apologies')),
    reason     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);

-- The register the clerk takes: one row per member eligible to attend.
CREATE TABLE attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN
               ('present','apologies_accepted','apologies_not_accepted','absent')),
    PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE meeting_guests (
    id           INTEGER PRIMARY KEY,
    meeting_id   INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('guest','observer')),
    organisation TEXT NOT NULL DEFAULT ''
);

CREATE TABLE minute_items (
    item_id    INTEGER PRIMARY KEY REFERENCES agenda_items(id) ON DELETE CASCADE,
    discussion TEXT NOT NULL DEFAULT '',
    decisions  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE minute_actions (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES agenda_items(id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    owner_id   INTEGER REFERENCES users(id),
    due_on     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE minutes_comments (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id),
    body       TEXT NOT NULL,
    at         TEXT NOT NULL
);

-- Private iCalendar feed URLs: only the token's sha256 is stored.
CREATE TABLE calendar_feeds (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
