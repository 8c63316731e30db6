"""Password rules and Argon2id hashing.

Rules (ASVS 2.1): 12-128 characters, not a common password, not the user's
own e-mail or name. The common list is Django's (Royce Williams' 20,000 most
common passwords), bundled so no network is needed.
"""

import functools
import gzip
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gvo.core.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory profile


@functools.cache
def _dummy_hash() -> str:
    """A real hash to verify against when the account does not exist, so timing does not
    reveal which e-mail addresses have accounts (made on first use: every CLI command
    imports this module, and one hash costs ~0.15 s)."""
    return _hasher.hash("not-a-real-password-for-timing")


@functools.cache
def _common() -> frozenset[str]:
    data = (resources.files("gvo.security") / "common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _base_word(lowered: str) -> str:
    """The password without trailing digits and symbols ("password2024!" -> "password")."""
    return lowered.rstrip("0123456789!@#$%^&*?.-_ ")


_KEYBOARD = "1234567890qwertyuiopasdfghjklzxcvbnm"


def _keyboard_walk_len(lowered: str) -> int:
    """Length of the longest run in the password that follows the keyboard's rows."""
    best = 0
    for i in range(len(lowered)):
        for j in range(len(lowered), i + best, -1):
            if lowered[i:j] in _KEYBOARD:
                best = j - i
                break
    return best


def _is_sequence(lowered: str) -> bool:
    """Repeated, sequential or keyboard-walk characters ("aaaa...", "1234...", "qwerty...")."""
    if len(set(lowered)) <= 3 or len(lowered) - _keyboard_walk_len(lowered) < 4:
        return True
    steps = [ord(b) - ord(a) for a, b in zip(lowered, lowered[1:], strict=False)]
    runs = sum(1 for d in steps if d in (-1, 0, 1, -9, 9))
    return runs >= 0.8 * len(steps)


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with a proposed password, in words a governor understands."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"Use at least {MIN_LENGTH} characters (a few words make a good password).")
    if len(password) > MAX_LENGTH:
        found.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common() or _base_word(lowered) in _common() or _is_sequence(lowered):
        found.append("This password is too common; choose one nobody would guess.")
    for own in (email.lower(), email.split("@")[0].lower(), name.lower().replace(" ", "")):
        if own and len(own) >= 4 and own in lowered.replace(" ", ""):
            found.append("Don't use your own name or e-mail address in your password.")
            break
    return found


def check(password: str, *, email: str = "", name: str = "") -> None:
    """Raise InvalidInput with every problem if the password breaks a rule."""
    found = problems(password, email=email, name=name)
    if found:
        raise InvalidInput(" ".join(found))


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; constant work whether or not there is a hash."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)
