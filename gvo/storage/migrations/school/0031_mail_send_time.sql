-- E-mail fixes (attack 8): a newsletter or digest is built again for its person when the
-- sender hands it over (gvo.mail.outbox.recheck), so it never names an item they lost
-- access to while it waited. The held notifications it carries are kept with it: which
-- outbox message released them (NULL: released before this migration, or by no message).
ALTER TABLE mail_held ADD COLUMN outbox_id INTEGER;
CREATE INDEX mail_held_outbox ON mail_held(outbox_id);

-- One-click unsubscribe links work once (issue 13, acceptance 1): each person's links
-- carry this number, which using one or choosing again on the profile page increments.
ALTER TABLE users ADD COLUMN mail_links_version INTEGER NOT NULL DEFAULT 0;
