-- The control database: the instance's list of schools and their wrapped keys.
CREATE TABLE instance_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE schools (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,      -- AES-GCM under a key derived from the master key
    key_version INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);
