-- Live work on one school asked of the running server (`gvo school rekey`, `gvo school move`:
-- gvo/replication/live.py), and the schools that moved to another server.
CREATE TABLE school_requests (
    id        INTEGER PRIMARY KEY,
    slug      TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('rekey', 'move')),
    moved_to  TEXT,                 -- move: the school's address on its new server
    state     TEXT NOT NULL DEFAULT 'asked'
              CHECK (state IN ('asked', 'working', 'done', 'failed', 'withdrawn')),
    message   TEXT,                 -- what the server answered (done or failed)
    asked_at  TEXT NOT NULL,
    done_at   TEXT
);

CREATE TABLE moved_schools (
    slug      TEXT PRIMARY KEY,     -- still in schools (its files stay until deleted)
    moved_to  TEXT NOT NULL,
    moved_at  TEXT NOT NULL
);
