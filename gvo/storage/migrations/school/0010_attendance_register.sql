-- Issue 10, names: "register" alone will mean the register of interests too, so the register
-- the clerk takes at a meeting is called the attendance register in the schema as in the code.
-- No trigger, view or index names these tables or columns; SQLite (>= 3.25) renames them in
-- foreign keys and indexes itself.
ALTER TABLE attendance RENAME TO attendance_register;
ALTER TABLE meetings RENAME COLUMN register_locked_at TO attendance_register_locked_at;
ALTER TABLE meetings RENAME COLUMN register_locked_by TO attendance_register_locked_by;
-- The frozen snapshot of a locked attendance register (gvo.meetings.records).
ALTER TABLE meeting_records RENAME COLUMN register TO attendance_register;
