-- Issue 18: passkeys (WebAuthn credentials, gvo.security.passkeys). Times UTC ISO 8601.
-- Each account has one random user handle, the same in all its passkeys (WebAuthn's
-- user.id: opaque, names nobody); each passkey its credential id, COSE public key, the
-- authenticator's signature counter as last seen, and the name its owner gave it.

CREATE TABLE passkey_handles (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    handle  BLOB NOT NULL UNIQUE
);

CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    public_key    BLOB NOT NULL,
    sign_count    INTEGER NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    name          TEXT NOT NULL,
    transports    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX passkeys_user ON passkeys(user_id);
