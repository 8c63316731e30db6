"""Passkeys (WebAuthn, W3C Web Authentication Level 2) with the `webauthn` package: the
relying party from GVO_BASE_URL, registration and assertion ceremonies, and a person's
stored passkeys (add, name, remove, each audited).

A ceremony's challenge is 32 random bytes made here, kept by the caller in the server-side
session beside what it is for (a pending sign-in, a registration) and used once: the view
takes it out of the session before checking the answer, and it expires after
CHALLENGE_SECONDS. User verification (a PIN, fingerprint or face on the device) is required
in both ceremonies, so one passkey is two factors (something held, something known or
been); the signature counter must go up (WebAuthn §6.1.1) and one that does not is refused
and audited as "passkey.counter_regressed" (a cloned authenticator).

The relying party ID is the host of GVO_BASE_URL and the origin its scheme, host and port:
WebAuthn only works on a domain name (never an IP address) over HTTPS, or on `localhost`.
Without GVO_BASE_URL the office's address is the default http://127.0.0.1:8000, on which no
browser makes passkeys: they are then unavailable (`relying_party` raises PasskeysOff, the
pages say so and offer only the other ways to sign in).
"""

import base64
import hmac
import json
import secrets
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

import webauthn
from webauthn.helpers import options_to_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gvo.core import audit, clock, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.people.accounts import get_user, notify_account
from gvo.storage.sqlcipher import Connection

CHALLENGE_SECONDS = 5 * 60  # a ceremony's challenge is good for this long, once
TIMEOUT_MS = CHALLENGE_SECONDS * 1000  # what the browser is told to wait for the person
MAX_NAME = 60
MAX_PASSKEYS = 20  # per person: enough for every device they own


class PasskeysOff(InvalidInput):
    """This office cannot use passkeys: its address (GVO_BASE_URL) is not one browsers make
    passkeys for. The message says what the operator must set."""


class PasskeyRefused(InvalidInput):
    """A passkey's answer was not accepted; `reason` (for the audit log) says why."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: `id` the RP ID (a host name), `origin` the exact origin
    pages are served from (scheme://host[:port]), `name` shown by the device."""

    id: str
    origin: str
    name: str


def relying_party(base_url: str, name: str) -> RelyingParty:
    """The relying party of an office reached at `base_url` (GVO_BASE_URL), named `name`
    (the school's name). PasskeysOff if browsers make no passkeys there: an IP address
    (WebAuthn §5.1.3: an RP ID is a domain), or http other than on localhost (WebAuthn needs
    a secure context)."""
    parts = urlsplit(base_url or "")
    host = (parts.hostname or "").lower()
    try:
        ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    local = host == "localhost" or host.endswith(".localhost")
    if not host or is_ip or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise PasskeysOff(
            "Passkeys need the office's address to be a name served over HTTPS (the "
            "operator sets GVO_BASE_URL, e.g. https://governors.example.org).")
    origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    return RelyingParty(host, origin, name)


def b64url(data: bytes) -> str:
    """Bytes as unpadded base64url (WebAuthn's JSON encoding)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(value: str) -> bytes:
    """Unpadded base64url back to bytes; ValueError for text that is not base64url."""
    if not isinstance(value, str) or not value.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def new_challenge() -> dict:
    """A fresh challenge to keep in the session: {"challenge": base64url, "at": epoch s}."""
    return {"challenge": b64url(secrets.token_bytes(32)), "at": clock.now()}


def _challenge_bytes(kept) -> bytes:
    """The bytes of a kept challenge if it is still good; PasskeyRefused if missing or
    expired (the page is shown again with a new one)."""
    if not isinstance(kept, dict) or not isinstance(kept.get("challenge"), str):
        raise PasskeyRefused("That passkey request was already used. Please try again.",
                             "no challenge")
    at = kept.get("at")
    if not isinstance(at, int | float) or not 0 <= clock.now() - at < CHALLENGE_SECONDS:
        raise PasskeyRefused("That passkey request timed out. Please try again.",
                             "challenge expired")
    return from_b64url(kept["challenge"])


# -- stored passkeys ------------------------------------------------------------------------


def user_handle(conn: Connection, user_id: int) -> bytes:
    """The account's WebAuthn user handle (32 random bytes, made on first use; inside or
    outside a transaction)."""
    row = conn.execute("SELECT handle FROM passkey_handles WHERE user_id = ?",
                       (user_id,)).fetchone()
    if row:
        return bytes(row[0])
    handle = secrets.token_bytes(32)
    conn.execute("INSERT OR IGNORE INTO passkey_handles(user_id, handle) VALUES (?, ?)",
                 (user_id, handle))
    return bytes(conn.execute("SELECT handle FROM passkey_handles WHERE user_id = ?",
                              (user_id,)).fetchone()[0])


def list_for(conn: Connection, user_id: int) -> list:
    """A person's passkeys (rows: id, name, created_at, last_used_at), oldest first."""
    return conn.execute(
        "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = ?"
        " ORDER BY id", (user_id,)).fetchall()


def has_any(conn: Connection, user_id: int) -> bool:
    """Whether a person has at least one passkey."""
    return conn.execute("SELECT 1 FROM passkeys WHERE user_id = ? LIMIT 1",
                        (user_id,)).fetchone() is not None


def _descriptors(conn: Connection, user_id: int) -> list[PublicKeyCredentialDescriptor]:
    rows = conn.execute("SELECT credential_id, transports FROM passkeys WHERE user_id = ?",
                        (user_id,)).fetchall()
    out = []
    for row in rows:
        transports = []
        for t in filter(None, row["transports"].split(",")):
            try:
                transports.append(AuthenticatorTransport(t))
            except ValueError:
                continue  # a transport this version of the package does not know
        out.append(PublicKeyCredentialDescriptor(id=bytes(row["credential_id"]),
                                                 transports=transports or None))
    return out


def registration_options(conn: Connection, rp: RelyingParty, user_id: int,
                         kept: dict) -> str:
    """The JSON for navigator.credentials.create() (WebAuthn's PublicKeyCredentialCreationOptions
    as JSON, binary fields base64url) making a discoverable passkey with user verification
    for `user_id`, with the challenge `kept` (new_challenge). The person's passkeys are
    excluded, so one device is not registered twice."""
    user = get_user(conn, user_id)
    with transaction(conn):
        handle = user_handle(conn, user_id)
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=user["email"], user_id=handle,
        user_display_name=user["name"], challenge=from_b64url(kept["challenge"]),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=_descriptors(conn, user_id))
    return options_to_json(options)


def check_name(name: str) -> str:
    """A passkey's name as kept: one line, trimmed, 1 to MAX_NAME characters; InvalidInput
    otherwise."""
    name = text.one_line(name or "").strip()
    if not name:
        raise InvalidInput("Give the passkey a name, such as the device it is on.")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Keep the name to {MAX_NAME} characters.")
    return name


def _parse(credential_json: str) -> dict:
    try:
        data = json.loads(credential_json or "")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise PasskeyRefused("Your browser sent no passkey. Please try again.", "malformed")
    return data


def add(conn: Connection, actor: Identity, rp: RelyingParty, kept, credential_json: str,
        name: str) -> int:
    """Register the passkey a browser made (navigator.credentials.create's answer as JSON)
    for the actor, named `name`, against the challenge `kept` (taken out of the session
    by the caller: used once). Checks origin, RP ID, challenge and user verification
    (WebAuthn §7.1); stores its public key and counter; audits "passkey.add" and tells the
    owner by e-mail, in one transaction. Returns the passkey's id.

    InvalidInput for a bad name, PasskeyRefused for an answer that does not verify, a
    passkey already registered, or too many.
    """
    name = check_name(name)
    challenge = _challenge_bytes(kept)
    try:
        verified = webauthn.verify_registration_response(
            credential=_parse(credential_json), expected_challenge=challenge,
            expected_rp_id=rp.id, expected_origin=rp.origin, require_user_verification=True)
    except WebAuthnException as exc:
        raise PasskeyRefused("Your device's passkey could not be checked. Please try again, "
                             "unlocking the device when it asks.", str(exc)) from exc
    transports = _parse(credential_json).get("response", {}).get("transports") or []
    transports = ",".join(t for t in transports if isinstance(t, str) and t.isalnum())[:100]
    user = get_user(conn, actor.user_id)
    with transaction(conn):
        if conn.execute("SELECT 1 FROM passkeys WHERE credential_id = ?",
                        (verified.credential_id,)).fetchone():
            raise PasskeyRefused("That passkey is already registered.", "duplicate")
        if conn.execute("SELECT count(*) FROM passkeys WHERE user_id = ?",
                        (actor.user_id,)).fetchone()[0] >= MAX_PASSKEYS:
            raise PasskeyRefused(f"You have {MAX_PASSKEYS} passkeys: remove one first.",
                                 "too many")
        cur = conn.execute(
            "INSERT INTO passkeys(user_id, credential_id, public_key, sign_count, name,"
            " transports, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (actor.user_id, verified.credential_id, verified.credential_public_key,
             verified.sign_count, name, transports, clock.iso()))
        audit.record(conn, actor, "passkey.add", f"user:{actor.user_id}", passkey=cur.lastrowid,
                     name=name)
        notify_account(conn, actor, user, f"A passkey ({name}) was added to your account")
    return cur.lastrowid


def rename(conn: Connection, actor: Identity, passkey_id: int, name: str) -> None:
    """Rename one of the actor's own passkeys; audited "passkey.rename". InvalidInput for a
    bad name or a passkey that is not theirs."""
    name = check_name(name)
    with transaction(conn):
        row = _own(conn, actor, passkey_id)
        conn.execute("UPDATE passkeys SET name = ? WHERE id = ?", (name, passkey_id))
        audit.record(conn, actor, "passkey.rename", f"user:{actor.user_id}",
                     passkey=passkey_id, old=row["name"], new=name)


def remove(conn: Connection, actor: Identity, passkey_id: int) -> str:
    """Remove one of the actor's own passkeys (it no longer signs in); audited
    "passkey.remove" and told to the owner by e-mail. Returns its name; InvalidInput for a
    passkey that is not theirs."""
    user = get_user(conn, actor.user_id)
    with transaction(conn):
        row = _own(conn, actor, passkey_id)
        conn.execute("DELETE FROM passkeys WHERE id = ?", (passkey_id,))
        audit.record(conn, actor, "passkey.remove", f"user:{actor.user_id}",
                     passkey=passkey_id, name=row["name"])
        notify_account(conn, actor, user,
                       f"A passkey ({row['name']}) was removed from your account")
    return row["name"]


def _own(conn: Connection, actor: Identity, passkey_id: int):
    row = conn.execute("SELECT * FROM passkeys WHERE id = ? AND user_id = ?",
                       (passkey_id, actor.user_id)).fetchone()
    if row is None:
        raise InvalidInput("That passkey is not one of yours, or was already removed.")
    return row


# -- assertions (sign-in) --------------------------------------------------------------------


def assertion_options(conn: Connection, rp: RelyingParty, kept: dict,
                      user_id: int | None = None) -> str:
    """The JSON for navigator.credentials.get() with the challenge `kept`: user verification
    required; `user_id`'s passkeys allowed (the second step of a sign-in), or, with None,
    any discoverable passkey of this office (a sign-in with a passkey alone)."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, challenge=from_b64url(kept["challenge"]), timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(conn, user_id) if user_id is not None else [],
        user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json(options)


def claimed(conn: Connection, credential_json: str):
    """The passkeys row whose credential id a browser's answer names (None if none), before
    anything is verified: only to know whose sign-in to throttle and audit."""
    try:
        raw = from_b64url(_parse(credential_json).get("rawId", ""))
    except (ValueError, PasskeyRefused):
        return None
    return conn.execute("SELECT * FROM passkeys WHERE credential_id = ?", (raw,)).fetchone()


def verify_assertion(conn: Connection, rp: RelyingParty, kept, credential_json: str,
                     row, who: Identity) -> None:
    """Check a browser's answer to navigator.credentials.get() (as JSON) against the
    challenge `kept` and the stored passkey `row` (claimed): origin, RP ID, challenge,
    signature, user presence and verification, the user handle if sent, and the counter
    (WebAuthn §7.2). On success the new counter and last use are stored; a counter that
    does not go up is audited "passkey.counter_regressed" (as `who`) and refused.
    Raises PasskeyRefused (its `reason` for the audit log).
    """
    challenge = _challenge_bytes(kept)
    if row is None:
        raise PasskeyRefused("That passkey is not registered here (it may have been removed).",
                             "unknown passkey")
    data = _parse(credential_json)
    handle = (data.get("response") or {}).get("userHandle")
    if handle:
        try:
            sent = from_b64url(handle)
        except ValueError:
            sent = b""
        if not hmac.compare_digest(sent, user_handle(conn, row["user_id"])):
            raise PasskeyRefused("That passkey does not belong to this account.",
                                 "user handle")
    try:
        verified = webauthn.verify_authentication_response(
            credential=data, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=bytes(row["public_key"]),
            credential_current_sign_count=0, require_user_verification=True)
    except WebAuthnException as exc:
        raise PasskeyRefused("Your passkey could not be checked. Please try again, unlocking "
                             "your device when it asks.", str(exc)) from exc
    new, old = verified.new_sign_count, row["sign_count"]
    with transaction(conn):
        # Conditional: two answers racing with one counter cannot both pass.
        cur = conn.execute(
            "UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?"
            " AND (? > sign_count OR (? = 0 AND sign_count = 0))",
            (new, clock.iso(), row["id"], old, new, new))
        if cur.rowcount != 1:
            audit.record(conn, who, "passkey.counter_regressed", f"user:{row['user_id']}",
                         passkey=row["id"], stored=old, sent=new)
    if cur.rowcount != 1:
        raise PasskeyRefused(
            "That passkey's counter went backwards, a sign that it was copied. It was "
            "refused: remove it on your profile page and add it again, or ask your clerk.",
            "counter regressed")
