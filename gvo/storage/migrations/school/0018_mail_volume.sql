-- E-mail volume (issue 13): how much mail each person wants, the kinds of mail they
-- stopped with a one-click unsubscribe link, notifications held for a digest or the
-- newsletter, and (in settings) the last digest and newsletter periods sent.
-- mail_volume: 'immediate' (each notification as it happens), 'digest' (held, sent once a
-- day), 'newsletter' (held, in the weekly newsletter), 'none' (account mail only).
ALTER TABLE users ADD COLUMN mail_volume TEXT NOT NULL DEFAULT 'immediate'
    CHECK (mail_volume IN ('immediate', 'digest', 'newsletter', 'none'));

-- A kind of mail (as outbox.notify's `kind`, or 'digest' / 'newsletter') a person stopped.
CREATE TABLE mail_optouts (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    at      REAL NOT NULL,                      -- epoch seconds, UTC
    PRIMARY KEY (user_id, kind)
) WITHOUT ROWID;

-- A notification held for a person's digest or newsletter: its subject and link only
-- (mail holds titles and links, never content). released_at: when a digest or newsletter
-- carrying it was queued.
CREATE TABLE mail_held (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    link        TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,                  -- epoch seconds, UTC
    released_at REAL
);
CREATE INDEX mail_held_waiting ON mail_held(user_id, released_at, id);
