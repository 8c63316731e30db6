"""Requests at the same moment (attack 6, F3 and F6): limits and one-time actions are
checked in the write transaction that records them, so parallel requests, on real threads
against a real school file, cannot pass a limit or send the same mail twice."""

import threading

import pytest

from gvo.core.errors import InvalidInput
from gvo.meetings import minutes, notices
from gvo.sharing import share
from mail.scene import build

THREADS = 40


@pytest.fixture
def scene(instance, school, mail_app):
    return build(instance.db(school))


def _at_once(instance, school, fn, n=THREADS) -> tuple[int, list[Exception]]:
    """Run fn(conn) on n threads at once, each with its own connection to the school's
    file; (how many returned, what was raised)."""
    barrier = threading.Barrier(n)
    done, raised, lock = [], [], threading.Lock()

    def run():
        conn = instance.db(school)
        try:
            barrier.wait()
            fn(conn)
            with lock:
                done.append(1)
        except Exception as exc:  # noqa: BLE001 (collected and checked by the test)
            with lock:
                raised.append(exc)
        finally:
            instance.release()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done), raised


def test_parallel_shares_cannot_pass_the_hourly_limit(scene, instance, school):
    me = scene.who(scene.cal)
    instance.release()
    ok, raised = _at_once(instance, school, lambda conn: share.share(
        conn, me, "document", scene.open_doc, people=[scene.ben]))
    assert ok == share.SHARES_PER_HOUR
    assert len(raised) == THREADS - share.SHARES_PER_HOUR
    assert all(isinstance(e, InvalidInput) and "the most allowed" in str(e) for e in raised)
    conn = instance.db(school)
    assert conn.execute("SELECT count(*) FROM shares WHERE sender_id = ?",
                        (scene.cal,)).fetchone()[0] == share.SHARES_PER_HOUR
    assert conn.execute("SELECT count(*) FROM mail_outbox WHERE kind = 'share'"
                        ).fetchone()[0] == share.SHARES_PER_HOUR


def test_parallel_shares_cannot_pass_the_people_limit(scene, instance, school, monkeypatch):
    monkeypatch.setattr(share, "PEOPLE_PER_HOUR", 5)  # the rule, with a smaller number
    me = scene.who(scene.cal)
    instance.release()
    _at_once(instance, school, lambda conn: share.share(
        conn, me, "document", scene.open_doc, people=[scene.ben, scene.ann]))
    conn = instance.db(school)
    assert conn.execute("SELECT sum(recipients) FROM shares WHERE sender_id = ?",
                        (scene.cal,)).fetchone()[0] == 4


def test_parallel_publish_papers_mails_the_members_once(scene, instance, school):
    clerk = scene.who(scene.clerk)
    instance.release()
    ok, raised = _at_once(instance, school, lambda conn: notices.publish_papers(
        conn, clerk, scene.meeting), n=8)
    assert (ok, raised) == (8, [])  # every request answered; one publication
    conn = instance.db(school)
    assert [tuple(r) for r in conn.execute("SELECT recipient, subject FROM mail_outbox"
                                           " WHERE kind = 'papers_published'")] == [
        ("ann@ex.org", "Papers published: Full board meeting")]
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action ="
                        " 'meeting.papers_published'").fetchone()[0] == 1


def test_parallel_circulate_mails_the_members_once(scene, instance, school):
    clerk = scene.who(scene.clerk)
    instance.release()
    ok, raised = _at_once(instance, school, lambda conn: minutes.circulate(
        conn, clerk, scene.meeting), n=8)
    assert ok == 1 and len(raised) == 7
    assert all(isinstance(e, InvalidInput) for e in raised)
    conn = instance.db(school)
    assert conn.execute("SELECT count(*) FROM mail_outbox WHERE kind = 'minutes_circulated'"
                        ).fetchone()[0] == 1
