-- E-mail (issue 13): the school's outbox, and links to choose a new password.
-- The outbox lives in the school's database, so queued mail is encrypted, replicated and
-- restored with the school. One row per message and recipient; `message` holds the whole
-- message as sent (RFC 5322 bytes), emptied once the SMTP server has accepted it (it may
-- hold a one-time link).
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,       -- the Message-ID header, without <>
    kind            TEXT NOT NULL,              -- invitation, password_reset, notice, ...
    user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,              -- the envelope recipient (an address)
    subject         TEXT NOT NULL,
    message         BLOB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sent', 'failed')),
    created_at      REAL NOT NULL,              -- epoch seconds, UTC
    queued_at       REAL NOT NULL,              -- created, or retried by a Manager
    attempts        INTEGER NOT NULL DEFAULT 0, -- answers of the SMTP server about it
    next_attempt_at REAL NOT NULL,              -- epoch seconds: not sent before
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         REAL,
    failed_at       REAL
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);

-- "Forgotten password" links: stored hashed, one hour, once (gvo.people.recovery).
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at REAL NOT NULL,
    used_at    REAL
);
CREATE INDEX password_resets_user ON password_resets(user_id);
