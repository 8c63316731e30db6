-- Issue 15: the policy register and its review cycle. Dates are calendar dates in the
-- school's time zone ('YYYY-MM-DD'); times UTC ISO 8601. A policy's text is a library
-- document or page (so versions, comments, approvals and search are the library's).

-- The school's own list of policy types ("Safeguarding", "Curriculum", ...).
CREATE TABLE policy_types (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    sort_order INTEGER NOT NULL DEFAULT 0
);
INSERT INTO policy_types(name, sort_order) VALUES
    ('Safeguarding and welfare', 1), ('Curriculum and teaching', 2), ('Pupils', 3),
    ('Staffing', 4), ('Finance', 5), ('Premises and health and safety', 6),
    ('Governance', 7), ('Information and data', 8);

CREATE TABLE policies (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    type_id         INTEGER REFERENCES policy_types(id) ON DELETE SET NULL,
    owner_body_id   INTEGER REFERENCES bodies(id) ON DELETE SET NULL,  -- the board or a committee
    approval_level  TEXT NOT NULL CHECK (approval_level IN ('board', 'committee', 'headteacher')),
    status          TEXT NOT NULL DEFAULT 'development'
                    CHECK (status IN ('development', 'live', 'archived')),
    effective_on    TEXT,            -- when the live version took effect
    cycle_months    INTEGER NOT NULL CHECK (cycle_months IN (12, 24, 36)),
    next_review_on  TEXT,            -- set from the cycle when a version is approved
    statutory       INTEGER NOT NULL DEFAULT 0 CHECK (statutory IN (0, 1)),
    statutory_key   TEXT,            -- the entry of the shipped statutory list it answers
    statutory_source TEXT NOT NULL DEFAULT '',
    publish_publicly INTEGER NOT NULL DEFAULT 0 CHECK (publish_publicly IN (0, 1)),
    created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX policies_review ON policies(next_review_on);
CREATE UNIQUE INDEX policies_statutory ON policies(statutory_key)
    WHERE statutory_key IS NOT NULL AND status != 'archived';

-- Named people who own a policy (beside its board or committee).
CREATE TABLE policy_owners (
    policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (policy_id, user_id)
);

-- Every version of a policy: one draft at most, one live at most, the rest archived.
-- The text is a library item; a document's version is pinned when it is approved, so a
-- later upload (the next draft) never changes what was approved.
CREATE TABLE policy_versions (
    id            INTEGER PRIMARY KEY,
    policy_id     INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('draft', 'live', 'archived')),
    item_kind     TEXT NOT NULL CHECK (item_kind IN ('document', 'page')),
    item_id       INTEGER NOT NULL,
    doc_version   INTEGER,           -- documents: the version approved (NULL while a draft)
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    approved_on   TEXT,              -- the meeting's date
    approved_meeting_id INTEGER REFERENCES meetings(id) ON DELETE SET NULL,
    approved_item_id    INTEGER REFERENCES agenda_items(id) ON DELETE SET NULL,
    approved_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- who recorded it
    approved_at   TEXT,
    archived_at   TEXT,
    UNIQUE (policy_id, number)
);
CREATE UNIQUE INDEX policy_versions_one_draft ON policy_versions(policy_id) WHERE state = 'draft';
CREATE UNIQUE INDEX policy_versions_one_live ON policy_versions(policy_id) WHERE state = 'live';
