-- Issue 14 (attack 10, F9): the statutory notice check (papers sent at least 7 clear days
-- before the meeting; School Governance (Roles, Procedures and Allowances) (England)
-- Regulations 2013, reg. 13(4)) reads when the papers FIRST went out: publishing them again
-- with a corrected paper does not undo the notice already given. `papers_published_at`
-- stays the latest publication (what members see); the first is set once by
-- gvo.meetings.notices.publish_papers and never changed. Meetings published before this
-- migration take it from the audit log's earliest "meeting.papers_published" entry for the
-- meeting (its `at` is the same UTC ISO 8601 form), or the latest publication if none.
ALTER TABLE meetings ADD COLUMN papers_first_published_at TEXT;
UPDATE meetings SET papers_first_published_at = COALESCE(
    (SELECT MIN(a.at) FROM audit_log a WHERE a.action = 'meeting.papers_published'
        AND a.target = 'meeting:' || meetings.id),
    papers_published_at)
    WHERE papers_published_at IS NOT NULL;
