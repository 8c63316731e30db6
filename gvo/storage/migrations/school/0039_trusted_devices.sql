-- Issue 18: trusted devices. After a two-step sign-in a person may tick "trust this device"
-- (where the school's Managers allow it, setting 'trusted_device_days' > 0): the browser
-- gets a cookie holding a random token; only its SHA-256 is kept here. With it, that
-- account's sign-in in this school skips the code step (the password is still asked) until
-- `expires_at`, or until it is removed: by its owner, a Manager, or any event that ends the
-- account's credentials (gvo.security.devices). Times are epoch seconds (UTC).
CREATE TABLE trusted_devices (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,   -- sha256 of the cookie's token; the token is never stored
    created_at   REAL NOT NULL,
    expires_at   REAL NOT NULL,
    last_used_at REAL,
    ip           TEXT NOT NULL DEFAULT '',  -- client address when trusted
    last_ip      TEXT NOT NULL DEFAULT '',  -- client address when last used
    user_agent   TEXT NOT NULL DEFAULT ''   -- a short summary ("Firefox on Windows")
);
CREATE INDEX trusted_devices_user ON trusted_devices(user_id);
