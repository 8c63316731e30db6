"""The master key, keys derived from it, and sealing under it (data keys, school names).

The master key never touches a database or a replica. The control database's
key is derived from it with HKDF; each school's random data key is stored only
wrapped with AES-GCM under a key derived from the master key, and a replica's
manifest holds the school's name sealed the same way (under another derived key).
"""

import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvo.core.errors import GvoError, WrongMasterKey

KEY_BYTES = 32
MASTER_KEY_ENV = "GVO_MASTER_KEY"
MASTER_KEY_FILE = "master.key"
_WRAP_VERSION = b"\x01"
_NONCE_BYTES = 12


def parse_hex_key(text: str, source: str) -> bytes:
    """Decode a 64-hex-character key, with a clear error naming where it came from."""
    cleaned = text.strip()
    if len(cleaned) != KEY_BYTES * 2:
        raise GvoError(f"{source}: the master key must be 64 hex characters")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise GvoError(f"{source}: the master key must be 64 hex characters") from None


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def write_master_key_file(path: Path, key: bytes) -> None:
    """Write the key as hex to a new file readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())


def load_master_key(instance_dir: Path, environ: dict | None = None) -> bytes:
    """The master key from GVO_MASTER_KEY, else from the instance's key file."""
    env = os.environ if environ is None else environ
    if env.get(MASTER_KEY_ENV):
        return parse_hex_key(env[MASTER_KEY_ENV], MASTER_KEY_ENV)
    path = instance_dir / MASTER_KEY_FILE
    if not path.exists():
        raise WrongMasterKey(
            f"no master key: set {MASTER_KEY_ENV} or put the key file at {path}"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise GvoError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    return parse_hex_key(path.read_text(), str(path))


def derive(master: bytes, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the master key (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"gvo:{purpose}".encode()
    ).derive(master)


def control_key(master: bytes) -> bytes:
    """The control database's SQLCipher key."""
    return derive(master, "control-db:v1")


def seal(master: bytes, purpose: str, slug: str, plaintext: bytes) -> bytes:
    """AES-256-GCM under the master key's derived key for purpose, bound to the slug.

    Output: a version byte, a random 96-bit nonce, then ciphertext and tag.
    """
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _WRAP_VERSION + nonce + AESGCM(derive(master, purpose)).encrypt(
        nonce, plaintext, slug.encode())


def unseal(master: bytes, purpose: str, slug: str, sealed: bytes, what: str) -> bytes:
    """Open what `seal` made; GvoError for an unknown format, WrongMasterKey for a wrong key
    (or a value sealed for another slug or purpose). `what` names the value in the message."""
    if not sealed or sealed[:1] != _WRAP_VERSION:
        raise GvoError(f"school {slug}: {what} has an unknown format")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        return AESGCM(derive(master, purpose)).decrypt(nonce, body, slug.encode())
    except InvalidTag:
        raise WrongMasterKey(f"the master key does not open {what} of school {slug}") from None


def wrap_school_key(master: bytes, slug: str, data_key: bytes) -> bytes:
    """Encrypt a school's data key under the master key, bound to the slug it was made for."""
    return seal(master, "school-key-wrap:v1", slug, data_key)


def unwrap_school_key(master: bytes, slug: str, wrapped: bytes) -> bytes:
    """Recover a school's data key; a wrong master key raises WrongMasterKey."""
    return unseal(master, "school-key-wrap:v1", slug, wrapped, "the wrapped data key")


def seal_school_name(master: bytes, slug: str, name: str) -> bytes:
    """A school's name encrypted under the master key, bound to its slug (for replicas)."""
    return seal(master, "school-name:v1", slug, name.encode())


def open_school_name(master: bytes, slug: str, sealed: bytes) -> str:
    """The name `seal_school_name` sealed; WrongMasterKey if the key does not open it."""
    return unseal(master, "school-name:v1", slug, sealed, "the sealed name").decode()
