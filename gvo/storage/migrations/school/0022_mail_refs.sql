-- E-mail fixes (issue 13, attack 6): every notice about an item names the item it is about,
-- so access is checked again when the mail is made (a held notice at digest or newsletter
-- time, a queued message at send time) and repeated notices about one item are gathered.

-- The item a held notice is about (a kind registered with gvo.mail.refs: 'document',
-- 'page', 'minutes', 'meeting', 'item', ...), or NULL for a notice about no item.
ALTER TABLE mail_held ADD COLUMN ref_type TEXT;
ALTER TABLE mail_held ADD COLUMN ref_id INTEGER;

-- The same for a queued message, and how many notices it gathers (gvo.mail.outbox:
-- notices of one kind about one item to one person within COALESCE_SECONDS are one message).
ALTER TABLE mail_outbox ADD COLUMN ref_type TEXT;
ALTER TABLE mail_outbox ADD COLUMN ref_id INTEGER;
ALTER TABLE mail_outbox ADD COLUMN gathered INTEGER NOT NULL DEFAULT 1;
CREATE INDEX mail_outbox_ref ON mail_outbox(user_id, kind, ref_type, ref_id, id);

-- Held notices kept before this migration: their item, read from their link (documents and
-- pages: the library's rooms). A held notice whose item cannot be read from its link and
-- that names a meeting's agenda item is dropped (it may name a Part 2 item and cannot be
-- checked); other meeting notices name the meeting, which every member may open.
UPDATE mail_held SET ref_type = 'document',
    ref_id = CAST(substr(link, instr(link, '/library/documents/') + 19) AS INTEGER)
    WHERE released_at IS NULL AND instr(link, '/library/documents/') > 0;
UPDATE mail_held SET ref_type = 'page',
    ref_id = CAST(substr(link, instr(link, '/library/pages/') + 15) AS INTEGER)
    WHERE released_at IS NULL AND instr(link, '/library/pages/') > 0;
UPDATE mail_held SET released_at = created_at
    WHERE released_at IS NULL AND ref_type IS NULL AND instr(link, '/meetings/') > 0
    AND instr(link, '#item') > 0;
UPDATE mail_held SET ref_type = 'meeting',
    ref_id = CAST(substr(link, instr(link, '/meetings/') + 10) AS INTEGER)
    WHERE released_at IS NULL AND ref_type IS NULL AND instr(link, '/meetings/') > 0;
