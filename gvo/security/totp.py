"""TOTP (RFC 6238) with one-time use of each code, and recovery codes.

A code is accepted for the current 30-second step or one step either side,
and only if its step is later than the last step this user used, so a code
(or an earlier one) can never be replayed.
"""

import hashlib
import hmac
import secrets

import pyotp
import segno
from markupsafe import Markup

from gvo.core.numbers import ascii_digits, is_digits

STEP_SECONDS = 30
RECOVERY_CODES = 10
ISSUER = "GVO"


def new_secret() -> str:
    """A new random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, school_name: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=f"{ISSUER} {school_name}")


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (no script, no external request).

    Safe to insert as HTML: segno draws the code as one <path> of module
    coordinates and writes none of the URI's text (e-mail, school name) into it.
    """
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff",
                                                omitsize=True)
    return Markup(svg)  # noqa: S704 (generated markup, no user text; see docstring)


def matching_step(secret: str, code: str, now: float, last_step: int) -> int | None:
    """The time step the code belongs to, if it is valid and newer than last_step.

    The code may be typed with spaces, full-width or other scripts' digits; anything
    that is not six digits matches nothing.
    """
    code = ascii_digits(code)
    if not (is_digits(code) and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten fresh recovery codes, formatted xxxxx-xxxxx for reading aloud or typing."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    """The canonical form of a typed recovery code (case, width, spaces and dashes ignored)."""
    return "".join(ch for ch in ascii_digits(code).lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    """A SHA-256 of the canonical code: 50 bits of randomness, used once, need no slow hash."""
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()
