-- Attack 14: the "Matters arising" item is known by a stored kind, not by its title, so a
-- renamed item keeps its list of open actions (on the meeting page and in the pack).
-- kind: '' for an ordinary item, 'matters_arising' for the item that lists the open actions
-- from the body's earlier meetings (gvo.actions.tasks.matters_arising).
ALTER TABLE agenda_items ADD COLUMN kind TEXT NOT NULL DEFAULT ''
    CHECK (kind IN ('', 'matters_arising'));

UPDATE agenda_items SET kind = 'matters_arising' WHERE title = 'Matters arising';
