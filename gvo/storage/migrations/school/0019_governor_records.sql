-- Issue 14: governor records, the instrument of government's places, positions with dates,
-- the school's own checks and the GIAS change log. Dates are calendar dates in the school's
-- time zone (ISO 8601 'YYYY-MM-DD'); times are UTC ISO 8601 ('...Z').

-- The categories of governor a school uses: the DfE's list, which the school can extend.
-- `votes` = 0 for associate members, who neither vote nor count towards the quorum (The
-- School Governance (Constitution) (England) Regulations 2012, reg. 2 and the Roles,
-- Procedures and Allowances Regulations 2013, reg. 14); `ex_officio` = 1 for a place held by
-- virtue of an office (the headteacher): no term of office. The clerk is not a governor
-- (Roles, Procedures and Allowances Regulations 2013, reg. 9): a record of category 'clerk'
-- holds their clerk position, without a vote or a place in the quorum.
CREATE TABLE governor_categories (
    key         TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    votes       INTEGER NOT NULL DEFAULT 1 CHECK (votes IN (0, 1)),
    ex_officio  INTEGER NOT NULL DEFAULT 0 CHECK (ex_officio IN (0, 1)),
    builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    sort_order  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO governor_categories(key, label, votes, ex_officio, builtin, sort_order) VALUES
    ('parent', 'Parent governor', 1, 0, 1, 10),
    ('staff', 'Staff governor', 1, 0, 1, 20),
    ('headteacher', 'Headteacher', 1, 1, 1, 30),
    ('local-authority', 'Local authority governor', 1, 0, 1, 40),
    ('foundation', 'Foundation governor', 1, 0, 1, 50),
    ('partnership', 'Partnership governor', 1, 0, 1, 60),
    ('co-opted', 'Co-opted governor', 1, 0, 1, 70),
    ('trustee', 'Trustee', 1, 0, 1, 80),
    ('member', 'Member (academy trust)', 1, 0, 1, 90),
    ('associate', 'Associate member', 0, 0, 1, 100),
    ('clerk', 'Clerk to the board (not a governor)', 0, 1, 1, 110);

-- The instrument of government: how many places of each category a board has. A vacancy is
-- a place with nobody in it.
CREATE TABLE board_places (
    body_id  INTEGER NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,
    category TEXT NOT NULL REFERENCES governor_categories(key) ON UPDATE CASCADE,
    places   INTEGER NOT NULL CHECK (places BETWEEN 0 AND 100),
    PRIMARY KEY (body_id, category)
);

-- A governor's record: one per person per board (a trust later has several boards). The
-- record outlives their time on the board: stepping down sets stepped_down_on and keeps it.
CREATE TABLE governor_records (
    id                  INTEGER PRIMARY KEY,
    body_id             INTEGER NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,
    user_id             INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    category            TEXT NOT NULL DEFAULT '',      -- governor_categories.key, '' not recorded
    appointed_by        TEXT NOT NULL DEFAULT '',      -- the appointing or electing body
    appointed_on        TEXT,                          -- date appointed or elected
    term_years          INTEGER CHECK (term_years BETWEEN 1 AND 4),  -- NULL: not applicable
    term_ends_on        TEXT,                          -- NULL: not applicable (ex officio)
    stepped_down_on     TEXT,
    stepped_down_reason TEXT NOT NULL DEFAULT '',
    dbs_checked_on      TEXT,                          -- enhanced DBS check
    dbs_reference       TEXT NOT NULL DEFAULT '',      -- certificate number
    s128_checked_on     TEXT,                          -- section 128 check (academies)
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (body_id, user_id)
);
CREATE INDEX governor_records_user ON governor_records(user_id);

INSERT INTO governor_records(body_id, user_id, category, term_years, created_at, updated_at)
SELECT (SELECT id FROM bodies WHERE kind = 'board'), g.user_id, g.category,
       CASE WHEN g.category = 'headteacher' THEN NULL ELSE 4 END, g.created_at, g.updated_at
FROM governors g WHERE EXISTS (SELECT 1 FROM bodies WHERE kind = 'board');
DROP TABLE governors;

-- Positions held on a board, each with its own dates: chair, vice-chair, clerk, and link
-- roles (safeguarding, SEND, ...). ends_on NULL: held now.
CREATE TABLE governor_positions (
    id         INTEGER PRIMARY KEY,
    record_id  INTEGER NOT NULL REFERENCES governor_records(id) ON DELETE CASCADE,
    position   TEXT NOT NULL,                -- 'chair', 'vice-chair', 'clerk', or a link role
    starts_on  TEXT NOT NULL,
    ends_on    TEXT
);
CREATE INDEX governor_positions_record ON governor_positions(record_id);

-- The school's own extra checks (for example "signed the code of conduct"), and when each
-- governor met each.
CREATE TABLE governor_checks (
    id         INTEGER PRIMARY KEY,
    label      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE governor_check_marks (
    record_id  INTEGER NOT NULL REFERENCES governor_records(id) ON DELETE CASCADE,
    check_id   INTEGER NOT NULL REFERENCES governor_checks(id) ON DELETE CASCADE,
    done_on    TEXT NOT NULL,
    PRIMARY KEY (record_id, check_id)
);

-- Changes the clerk must report to Get Information about Schools (GIAS) within 14 days
-- (DfE Governance Handbook): appointments, resignations, chair changes.
CREATE TABLE gias_changes (
    id          INTEGER PRIMARY KEY,
    record_id   INTEGER REFERENCES governor_records(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,               -- 'appointed', 'stepped-down', 'chair', 'vice-chair', 'details'
    summary     TEXT NOT NULL,               -- what to report, in words
    happened_on TEXT NOT NULL,               -- the date the change took effect
    created_at  TEXT NOT NULL,
    reported_on TEXT,                        -- the date the clerk reported it
    reported_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX gias_changes_open ON gias_changes(reported_on, happened_on);
