-- Issue 15 (attack 9): the text a meeting approved holds.
-- A library page can be locked: `locked_reason` (empty: not locked) says why, on the page and
-- its edit form; a locked page's title and text cannot change. A policy's approved page is
-- locked when it goes live and stays locked (live, then archived).
ALTER TABLE pages ADD COLUMN locked_reason TEXT NOT NULL DEFAULT '';

-- A policy version keeps the page's title and text as approved (documents keep their pinned
-- version number, doc_version), so the public viewer, the policy page and the history show
-- exactly what the meeting approved. `text_set_at`: when the draft's text was last chosen
-- (UTC), so an approval at a meeting held before it is refused.
ALTER TABLE policy_versions ADD COLUMN approved_title TEXT;
ALTER TABLE policy_versions ADD COLUMN approved_body TEXT;
ALTER TABLE policy_versions ADD COLUMN text_set_at TEXT;
UPDATE policy_versions SET text_set_at = created_at;

-- Versions approved before this migration: their page as it stands is the best record left.
UPDATE policy_versions SET
    approved_title = (SELECT title FROM pages WHERE pages.id = policy_versions.item_id),
    approved_body = (SELECT body FROM pages WHERE pages.id = policy_versions.item_id)
    WHERE item_kind = 'page' AND state != 'draft';
UPDATE pages SET locked_reason = 'This page is the approved text of a policy: it cannot be '
    || 'changed. To change the policy, start a review on its page in Policies (the review '
    || 'copies this text into a new draft).'
    WHERE id IN (SELECT item_id FROM policy_versions WHERE item_kind = 'page'
                 AND state != 'draft');
