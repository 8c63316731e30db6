-- Meeting papers' folders are found by the ids stored here, never by their titles (anyone
-- who may add a folder could make one called "Confidential (part 2)" and have a meeting's
-- confidential papers filed in it).
ALTER TABLE meetings ADD COLUMN confidential_folder_id INTEGER;   -- its part 2 papers' room

-- The confidential room a meeting already has: the first one GVO made, that is, made by a
-- Manager or a holder of "manage meetings" (as the meetings' service does), not deleted.
UPDATE meetings SET confidential_folder_id = (
    SELECT f.id FROM folders f
     WHERE f.parent_id = meetings.folder_id AND f.title = 'Confidential (part 2)'
       AND f.restricted = 1 AND f.deleted_at IS NULL
       AND f.owner_id IN (SELECT id FROM users WHERE role = 'manager'
                          UNION SELECT user_id FROM user_capabilities
                                 WHERE capability = 'manage_meetings')
     ORDER BY f.id LIMIT 1)
 WHERE folder_id IS NOT NULL;

-- The top-level "Meeting papers" folder: the parent of the meetings' folders.
INSERT OR IGNORE INTO settings(key, value)
SELECT 'meetings.papers_folder', CAST(f.parent_id AS TEXT)
  FROM meetings m JOIN folders f ON f.id = m.folder_id
 WHERE f.parent_id IS NOT NULL
 ORDER BY m.id LIMIT 1;
