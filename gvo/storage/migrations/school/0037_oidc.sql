-- Issue 18: signing in with the school's OpenID Connect provider (gvo.people.oidc_signin).
-- One row at most. The client secret is stored as typed: the school's database is
-- SQLCipher-encrypted with the school's own key, and a second key kept beside that one
-- would protect nothing more.
CREATE TABLE oidc_provider (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    enabled         INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    label           TEXT NOT NULL DEFAULT '',  -- "Microsoft", "Google": the sign-in button
    issuer          TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    client_secret   TEXT NOT NULL,
    allowed_domains TEXT NOT NULL DEFAULT '',  -- e-mail domains, one space between each
    auto_create     INTEGER NOT NULL DEFAULT 0 CHECK (auto_create IN (0, 1)),
    trust_amr_mfa   INTEGER NOT NULL DEFAULT 0 CHECK (trust_amr_mfa IN (0, 1)),
    password_managers_only INTEGER NOT NULL DEFAULT 0 CHECK (password_managers_only IN (0, 1)),
    updated_at      TEXT NOT NULL
);
