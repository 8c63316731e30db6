-- Issue 14: the register of business interests and declarations at meetings. Dates are
-- calendar dates in the school's time zone ('YYYY-MM-DD'); times UTC ISO 8601.

-- One declared interest. History is kept: a change ends the old row (replaced_by) and adds
-- a new one; an interest that no longer applies gets ended_on. Nothing is deleted.
CREATE TABLE interests (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,      -- 'business', 'financial', 'employment', 'relationship', 'governance', 'other'
    organisation TEXT NOT NULL DEFAULT '',
    nature       TEXT NOT NULL,      -- the interest, in words
    starts_on    TEXT,               -- when the interest began (if known)
    ends_on      TEXT,               -- when it ended; NULL: current
    declared_on  TEXT NOT NULL,      -- the date it was declared
    entered_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- a Manager on their behalf, or themselves
    replaced_by  INTEGER REFERENCES interests(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX interests_user ON interests(user_id);

-- Each governor's return: 'declared' (their current interests confirmed as complete) or
-- 'nil' (nothing to declare), dated. The yearly reconfirmation reads the latest.
CREATE TABLE interest_returns (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('declared', 'nil')),
    returned_on  TEXT NOT NULL,
    entered_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX interest_returns_user ON interest_returns(user_id, returned_on);

-- A declaration of interest against an agenda item: recorded in that meeting's minutes; the
-- person is left out of that item's quorum.
CREATE TABLE item_declarations (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES agenda_items(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    interest     TEXT NOT NULL,      -- what was declared, in words
    withdrew     INTEGER NOT NULL DEFAULT 1 CHECK (withdrew IN (0, 1)),  -- left the room for the item
    recorded_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (item_id, user_id)
);
