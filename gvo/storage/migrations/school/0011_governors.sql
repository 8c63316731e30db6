-- Issue 10, names: a governor's category (parent, staff, co-opted, ...) belongs to their place
-- on the governing board, not to each committee they sit on. One row per person on the full
-- governing board; the governor records of the next issues hang off it. Frozen attendance
-- register snapshots keep the category they were taken with.
CREATE TABLE governors (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    category   TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

INSERT INTO governors(user_id, category, created_at, updated_at)
SELECT m.user_id, m.governor_type, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM body_members m JOIN bodies b ON b.id = m.body_id AND b.kind = 'board';

-- Nothing recorded is lost: a category given only on a committee (an associate member, who
-- does not sit on the board) is carried over too, from the committee set up first.
INSERT INTO governors(user_id, category, created_at, updated_at)
SELECT m.user_id, m.governor_type, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM body_members m JOIN bodies b ON b.id = m.body_id AND b.kind = 'committee'
WHERE m.governor_type <> ''
  AND m.user_id NOT IN (SELECT user_id FROM governors)
  AND b.id = (SELECT min(m2.body_id) FROM body_members m2
              WHERE m2.user_id = m.user_id AND m2.governor_type <> '');

ALTER TABLE body_members DROP COLUMN governor_type;
