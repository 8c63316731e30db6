"""The demo school never sends e-mail (attack 6): `gvo demo` next to a real relay queues
nothing while the demo is made, and nothing afterwards; a real school of the same office
still does."""

from gvo.core.identity import Identity
from gvo.discussion import comments, subjects
from gvo.mail import outbox
from gvo.mail.compose import Letter
from gvo.people import accounts, demo

OP = Identity.operator()


def test_the_demo_school_queues_no_mail(instance, school, mail_app):
    demo.create(instance)  # approvals asked, minutes circulated and approved ...
    conn = instance.db(demo.SLUG)
    assert conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 0
    assert not outbox.enabled(conn)
    everyone = [r[0] for r in conn.execute("SELECT id FROM users")]
    assert outbox.notify(conn, OP, everyone, Letter("test", "Hello", "a test"),
                         kind="notice") == []
    doc = conn.execute("SELECT id FROM documents ORDER BY id LIMIT 1").fetchone()[0]
    clerk = Identity.load(conn, conn.execute("SELECT id FROM users WHERE role = 'manager'"
                                             " ORDER BY id LIMIT 1").fetchone()[0])
    comments.add(conn, clerk, subjects.load(conn, clerk, "document", doc), "A comment")
    assert conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 0
    # The office's real school still sends.
    real = instance.db(school)
    assert outbox.enabled(real)
    uid = accounts.add_user(real, OP, email="a@ex.org", name="A", role="reader")
    assert len(outbox.notify(real, OP, [uid], Letter("test", "Hello", "a test"),
                             kind="notice")) == 1
