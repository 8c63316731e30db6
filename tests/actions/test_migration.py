"""School migration 0033: the minutes' actions of a school made before it become tasks, with
their ids, owners, due dates, meetings and boards kept."""

OLD = """
INSERT INTO users(id, email, name, role, created_at, updated_at) VALUES
  (7, 'ann@ex.org', 'Ann Able', 'author', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
INSERT INTO bodies(id, kind, name) VALUES (3, 'board', 'Full Governing Board');
INSERT INTO meetings(id, body_id, title, starts_at, ends_at, created_at, updated_at)
  VALUES (5, 3, 'Autumn board', '2025-10-01T18:00', '2025-10-01T20:00',
          '2025-09-01T00:00:00Z', '2025-10-02T00:00:00Z');
INSERT INTO agenda_items(id, meeting_id, position, title, purpose)
  VALUES (11, 5, 1, 'Budget', 'decision');
INSERT INTO minute_actions(id, item_id, text, owner_id, due_on)
  VALUES (21, 11, 'Send the budget', 7, '2025-11-01'), (22, 11, 'Nobody''s yet', NULL, '');
"""


def test_minute_actions_become_tasks(upgraded_school):
    conn = upgraded_school(33, OLD)
    rows = [tuple(r) for r in conn.execute(
        "SELECT id, title, due_on, body_id, meeting_id, item_id, status FROM tasks ORDER BY id")]
    assert rows == [(21, "Send the budget", "2025-11-01", 3, 5, 11, "not_started"),
                    (22, "Nobody's yet", "", 3, 5, 11, "not_started")]
    assert [tuple(r) for r in conn.execute("SELECT task_id, user_id FROM task_assignees")] == [
        (21, 7)]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'minute_actions'"
                        ).fetchone()[0] == 0
