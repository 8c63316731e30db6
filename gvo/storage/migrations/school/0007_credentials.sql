-- Credentials end together (issue 9, sign-in).
-- Each event that ends an account's credentials (a password set, signing out everywhere,
-- a two-step sign-in reset, a Manager ending the sessions, being made inactive) adds one, so
-- a sign-in begun before it (password typed, code or enrolment to come) cannot finish.
ALTER TABLE users ADD COLUMN credential_version INTEGER NOT NULL DEFAULT 0;

-- Which step of sign-in failed ('password' or 'code'): wrong codes are also limited per
-- account over all addresses, which only someone who knows the password can reach.
ALTER TABLE login_failures ADD COLUMN step TEXT NOT NULL DEFAULT 'password';

-- A calendar feed stopped by such an event: when and why, for the person's profile page
-- (a stopped feed's address no longer works; a new one clears these).
ALTER TABLE calendar_feeds ADD COLUMN stopped_at TEXT;
ALTER TABLE calendar_feeds ADD COLUMN stopped_reason TEXT NOT NULL DEFAULT '';
