-- Issue 16: actions (tasks). Every action agreed in minutes is a task, and tasks are also
-- made by hand. A task lives in a library folder: a hand-made task in the folder chosen
-- (`folder_id`); a task from minutes (`item_id` set) in its meeting's folder, read live
-- from the meeting (`folder_id` stays NULL), and one from a Part 2 (confidential) item
-- only for those who see that body's confidential items (gvo.actions.tasks).
-- Approved minutes keep reading their frozen snapshot (meeting_records), so a task's
-- status changing later never changes them.
CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    due_on       TEXT NOT NULL DEFAULT '',      -- 'YYYY-MM-DD' or '' for none
    body_id      INTEGER REFERENCES bodies(id) ON DELETE SET NULL,
    folder_id    INTEGER,                       -- hand-made: the folder it lives in
    meeting_id   INTEGER REFERENCES meetings(id) ON DELETE CASCADE,
    item_id      INTEGER REFERENCES agenda_items(id) ON DELETE CASCADE,
    status       TEXT NOT NULL DEFAULT 'not_started'
                 CHECK (status IN ('not_started', 'in_progress', 'done')),
    completed_by INTEGER REFERENCES users(id),
    completed_at TEXT,                          -- UTC ISO 8601
    created_by   INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX tasks_due ON tasks(status, due_on, id);
CREATE INDEX tasks_item ON tasks(item_id);
CREATE INDEX tasks_meeting ON tasks(meeting_id);

CREATE TABLE task_assignees (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, user_id)
) WITHOUT ROWID;
CREATE INDEX task_assignees_user ON task_assignees(user_id, task_id);

-- Attachments: library documents, shown only to those who may open them.
CREATE TABLE task_documents (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    doc_id  INTEGER NOT NULL,
    PRIMARY KEY (task_id, doc_id)
) WITHOUT ROWID;

-- The minutes' actions so far become tasks, keeping their ids, owners and due dates.
INSERT INTO tasks(id, title, due_on, body_id, meeting_id, item_id, created_by, created_at,
                  updated_at)
SELECT a.id, a.text, a.due_on, m.body_id, m.id, a.item_id, m.created_by, m.updated_at,
       m.updated_at
  FROM minute_actions a JOIN agenda_items i ON i.id = a.item_id
  JOIN meetings m ON m.id = i.meeting_id;
INSERT INTO task_assignees(task_id, user_id)
SELECT id, owner_id FROM minute_actions WHERE owner_id IS NOT NULL;
DROP TABLE minute_actions;
