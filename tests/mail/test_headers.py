"""Headers as they arrive at a real SMTP server, read from the raw bytes (attack 6, F2):
List-Unsubscribe is `<https://...>` as it is (RFC 2369, RFC 8058: mail programs and
large providers do not decode RFC 2047 in it), and every header with typed text (names in
any script, long subjects) is encoded so that an RFC 2047 decoder gives it back whole."""

import email
import email.header
import email.utils
import re
from email import policy

from conftest import BASE

from gvo.core.identity import Identity
from gvo.mail import outbox
from gvo.mail.compose import Letter
from gvo.people import accounts, settings

OP = Identity.operator()
SCHOOL = "Ysgol Gymraeg Bro Gŵyr — Ελληνικό σχολείο 学校 with a long name for headers"
PERSON = "Siân ap Gwŷr Σοφία 王秀英"
SUBJECT = "New comment on “Cyllideb 2026–27: Siân’s 提案 and the Σχολή report, long enough”"


def _headers(raw: bytes) -> list[bytes]:
    """The header lines as on the wire (folded lines apart)."""
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def _decoded(value: str) -> str:
    """A header as an RFC 2047 decoder that knows nothing of Python's policies reads it."""
    return str(email.header.make_header(email.header.decode_header(value)))


def test_list_unsubscribe_arrives_raw_and_every_header_decodes_whole(
        instance, school, mail_app, smtp_server, start_sender):
    conn = instance.db(school)
    settings.put(conn, "name", SCHOOL)
    settings.set_reply_to(conn, OP, "clerk@alpha.example")
    uid = accounts.add_user(conn, OP, email="sian@example.org", name=PERSON, role="author")
    outbox.notify(conn, OP, [uid], Letter("test", SUBJECT, "you follow it"), kind="comment")
    instance.release()
    start_sender()
    [got] = smtp_server.wait_for(1)
    lines = _headers(got.data)
    assert all(line.isascii() and len(line) <= 998 for line in lines)

    # One line each, as they are: no encoded-word, no folding.
    [unsub] = [line for line in lines if line.startswith(b"List-Unsubscribe:")]
    assert re.fullmatch(rb"List-Unsubscribe: <" + re.escape(BASE.encode())
                        + rb"/alpha/mail/unsubscribe/[\w.-]+>", unsub)
    assert len(unsub) > 78  # long enough that the old folding encoded it
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert b"Auto-Submitted: auto-generated" in lines
    # A parser that decodes nothing (as many MTAs) sees the address.
    plain = email.message_from_bytes(got.data, policy=policy.compat32)
    url = plain["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{BASE}/alpha/mail/unsubscribe/")
    assert re.fullmatch(r"<[^@<>\s]+@gvo\.example>", plain["Message-ID"])

    # Typed text in any script: folded below 78 characters, decoded whole.
    others = [line for line in lines if not line.startswith(b"List-Unsubscribe:")]
    assert all(len(line) <= 78 for line in others)
    assert _decoded(plain["Subject"]) == SUBJECT
    assert email.utils.getaddresses([_decoded(plain["To"])]) == [(PERSON, "sian@example.org")]
    assert email.utils.getaddresses([_decoded(plain["From"])]) == [
        (SCHOOL, "office@gvo.example")]
    assert email.utils.getaddresses([_decoded(plain["Reply-To"])]) == [
        (SCHOOL, "clerk@alpha.example")]

    # The one-click POST a mail program makes (RFC 8058) works without a cookie.
    resp = mail_app.test_client().post(url.removeprefix(BASE), base_url=BASE,
                                       data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    assert conn.execute("SELECT kind FROM mail_optouts WHERE user_id = ?",
                        (uid,)).fetchone()[0] == "comment"


def test_a_reply_to_beyond_ascii_is_refused_or_stored_in_ascii(instance, school, mail_app):
    """Attack 8, F2: no encoded-word inside an address. A non-ASCII local part needs
    SMTPUTF8, which is not assumed: refused with the reason; an international domain is
    kept as its A-labels (the same domain); the same rule for every address typed."""
    import pytest

    from gvo.core import addresses
    from gvo.core.errors import InvalidInput

    conn = instance.db(school)
    with pytest.raises(InvalidInput, match="ASCII"):
        settings.set_reply_to(conn, OP, "clërk@example.org")
    settings.set_reply_to(conn, OP, "clerk@exämple.org")
    assert outbox.reply_to(conn) == "clerk@xn--exmple-cua.org"
    with pytest.raises(InvalidInput, match="SMTPUTF8"):
        accounts.add_user(conn, OP, email="siân@example.org", name="Siân", role="author")
    assert addresses.check("gov@gŵyr.example") == "gov@" + "gŵyr.example".encode("idna").decode()


def test_a_message_queued_with_a_bad_reply_to_goes_with_the_current_one(
        instance, school, mail_app, smtp_server, start_sender):
    conn = instance.db(school)
    settings.put(conn, "name", SCHOOL)
    settings.put(conn, outbox.REPLY_TO_KEY, "clërk@example.org")  # set before this fix
    uid = accounts.add_user(conn, OP, email="sian@example.org", name=PERSON, role="author")
    outbox.notify(conn, OP, [uid], Letter("test", SUBJECT, "you follow it"), kind="comment")
    queued = bytes(conn.execute("SELECT message FROM mail_outbox").fetchone()[0])
    assert b"Reply-To:" not in queued  # not an address mail can carry: none at all
    settings.set_reply_to(conn, OP, "clerk@exämple.org")
    instance.release()
    start_sender()
    [got] = smtp_server.wait_for(1)
    assert b" <clerk@xn--exmple-cua.org>" in got.data.split(b"\r\n\r\n")[0]
    assert [line for line in _headers(got.data) if line.startswith(b"Reply-To:")]
    parsed = email.message_from_bytes(got.data, policy=policy.default)
    assert parsed["Reply-To"].addresses[0].addr_spec == "clerk@xn--exmple-cua.org"
    assert "Gŵyr" in parsed["Reply-To"].addresses[0].display_name
    assert parsed.get_body(("plain",)).get_content()  # the body is untouched
