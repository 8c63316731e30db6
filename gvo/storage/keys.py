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
MASTER_KEY_FILE_ENV = "GVO_MASTER_KEY_FILE"
# systemd hands credentials to a service in this folder (systemd.exec(5), "Credentials").
CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"
MASTER_KEY_CREDENTIAL = "master.key"  # LoadCredential=master.key:/etc/gvo/master.key
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


def master_key_file(instance_dir: Path, environ: dict | None = None) -> Path | None:
    """Where the master key is read from: None when GVO_MASTER_KEY holds it.

    In order: the file GVO_MASTER_KEY_FILE names; the credential `master.key` that systemd's
    `LoadCredential=master.key:...` hands the service in $CREDENTIALS_DIRECTORY (systemd.exec(5),
    "Credentials"; deploy/gvo.service); else `master.key` inside the instance.
    """
    env = os.environ if environ is None else environ
    if env.get(MASTER_KEY_ENV):
        return None
    if env.get(MASTER_KEY_FILE_ENV):
        return Path(env[MASTER_KEY_FILE_ENV])
    if env.get(CREDENTIALS_ENV):
        credential = Path(env[CREDENTIALS_ENV]) / MASTER_KEY_CREDENTIAL
        if credential.exists():
            return credential
    return instance_dir / MASTER_KEY_FILE


def load_master_key(instance_dir: Path, environ: dict | None = None) -> bytes:
    """The master key from GVO_MASTER_KEY, else from its file (`master_key_file`).

    Raises WrongMasterKey when there is no key, GvoError when the file is readable by others
    than its owner or does not hold 64 hex characters.
    """
    env = os.environ if environ is None else environ
    if env.get(MASTER_KEY_ENV):
        return parse_hex_key(env[MASTER_KEY_ENV], MASTER_KEY_ENV)
    path = master_key_file(instance_dir, env)
    if not path.exists():
        if env.get(MASTER_KEY_FILE_ENV):
            raise WrongMasterKey(f"no master key: {MASTER_KEY_FILE_ENV} names {path}, "
                                 "which does not exist")
        raise WrongMasterKey(
            f"no master key: set {MASTER_KEY_FILE_ENV} or {MASTER_KEY_ENV}, "
            f"or put the key file at {path}"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise GvoError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    return parse_hex_key(path.read_text(), str(path))


def master_key_for_init(instance_dir: Path, environ: dict | None = None
                        ) -> tuple[bytes, Path | None]:
    """`gvo init`'s master key and the file to write it to (None: nothing to write).

    GVO_MASTER_KEY's key, or the key in an existing file GVO_MASTER_KEY_FILE (or a systemd
    credential) names; else a new random key, to be written where `master_key_file` says.
    Raises GvoError rather than overwrite the instance's own `master.key`.
    """
    env = os.environ if environ is None else environ
    path = master_key_file(instance_dir, env)
    if path is None:
        return parse_hex_key(env[MASTER_KEY_ENV], MASTER_KEY_ENV), None
    if path.exists():
        if path == instance_dir / MASTER_KEY_FILE:
            raise GvoError(f"{path} already exists; refusing to overwrite it")
        return load_master_key(instance_dir, env), None
    return new_key(), path


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
