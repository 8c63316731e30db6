-- Issue 12. A meeting's calendar entry carries SEQUENCE (RFC 5545 section 3.8.7.4): the
-- number of times its details changed, so calendar apps replace an older copy they hold.
ALTER TABLE meetings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
-- Which reading of a local time in the hour repeated when the clocks go back (PEP 495's
-- fold: 0 the first, BST; 1 the second, GMT); 0 for every other time.
ALTER TABLE meetings ADD COLUMN starts_fold INTEGER NOT NULL DEFAULT 0 CHECK (starts_fold IN (0, 1));
ALTER TABLE meetings ADD COLUMN ends_fold INTEGER NOT NULL DEFAULT 0 CHECK (ends_fold IN (0, 1));
