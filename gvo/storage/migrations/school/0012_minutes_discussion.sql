-- Issue 10, one discussion layer: comments on circulated minutes become comments on the
-- subject ('minutes', meeting id) in the one comments table (gvo/discussion), with their
-- author, text and time kept and in the order they were made; their own table goes.
INSERT INTO comments(subject_type, subject_id, parent_id, author_id, body, created_at)
SELECT 'minutes', meeting_id, NULL, user_id, body, at FROM minutes_comments ORDER BY id;

DROP TABLE minutes_comments;
