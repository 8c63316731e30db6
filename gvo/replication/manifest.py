"""The per-school manifest and the names of everything in a replica.

Replica layout under the target, one folder (prefix) per school::

    <slug>/manifest.json                              this file (atomic rewrite)
    <slug>/generations/<gen>/snapshot.db              raw copy of the encrypted database
    <slug>/generations/<gen>/wal/<seq>-<t0>-<t1>.seg  shipped WAL frames; the names are
                                                      the index of commit times (ms)

The manifest holds the format version, the school's name sealed under the
master key (format 2; format 1 held it in plaintext and is still read), its
wrapped data key for each key version (wrapped under the master key, bound to
the slug), the generations with their snapshot checksums, and the last shipped
commit. It carries its own sha256 over its canonical JSON.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field

from gvo.core.errors import GvoError
from gvo.replication.targets import NotFoundInTarget, Target
from gvo.storage import keys

FORMAT_VERSION = 2  # 2: the school's name sealed; 1: in plaintext (read, never written)
READ_FORMATS = (1, 2)
MANIFEST = "manifest.json"


class ManifestError(Exception):
    """A manifest that is missing, corrupted or of an unknown format."""


def manifest_key(slug: str) -> str:
    """Object name of a school's manifest."""
    return f"{slug}/{MANIFEST}"


def deleted_key(slug: str) -> str:
    """Object name of the marker `gvo school delete` leaves in place of a deleted school's
    manifest (no key in it: gvo.lifecycle.delete)."""
    return f"{slug}/deleted.json"


def generation_prefix(slug: str, gen: str) -> str:
    """Folder (prefix) of one generation."""
    return f"{slug}/generations/{gen}/"


def snapshot_key(slug: str, gen: str) -> str:
    """Object name of a generation's snapshot."""
    return f"{generation_prefix(slug, gen)}snapshot.db"


def segments_prefix(slug: str, gen: str) -> str:
    """Folder (prefix) of a generation's segments."""
    return f"{generation_prefix(slug, gen)}wal/"


def new_generation_id(now: float | None = None) -> str:
    """A generation id that sorts by time: 20260102T030405.678Z-1a2b3c."""
    now = time.time() if now is None else now
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    return f"{stamp}-{secrets.token_hex(3)}"


@dataclass
class Generation:
    """A snapshot and the segments that follow it."""

    id: str
    started_at: float
    key_version: int
    snapshot_size: int
    snapshot_sha256: str
    reason: str = ""

    def to_json(self) -> dict:
        """As stored in the manifest."""
        return {"id": self.id, "started_at": self.started_at, "key_version": self.key_version,
                "snapshot": {"size": self.snapshot_size, "sha256": self.snapshot_sha256},
                "reason": self.reason}

    @classmethod
    def from_json(cls, d: dict) -> "Generation":
        """From the manifest's JSON."""
        return cls(d["id"], d["started_at"], d["key_version"], d["snapshot"]["size"],
                   d["snapshot"]["sha256"], d.get("reason", ""))


@dataclass
class Manifest:
    """What a restore needs to know about one school's replica."""

    slug: str
    sealed_name: bytes | None = None  # the school's name sealed under the master key
    keys: dict[int, bytes] = field(default_factory=dict)  # key version -> wrapped data key
    generations: list[Generation] = field(default_factory=list)
    shipped: dict = field(default_factory=dict)  # generation, seq, last_commit_at, updated_at
    plain_name: str | None = None  # known without the key: set here, or a format 1 manifest

    def current(self) -> Generation | None:
        """The newest generation."""
        return self.generations[-1] if self.generations else None

    def set_name(self, master: bytes, name: str) -> bool:
        """Record the school's name, sealed under the master key; True if the stored
        manifest must change (a new name, or one held in plaintext by format 1)."""
        try:
            stored = self.sealed_name is not None and self.school_name(master) == name
        except GvoError:  # sealed under another master key: this instance's replaces it
            stored = False
        if not stored:
            self.sealed_name = keys.seal_school_name(master, self.slug, name)
        self.plain_name = name
        return not stored

    def school_name(self, master: bytes) -> str:
        """The school's name; WrongMasterKey if the master key does not open it."""
        if self.plain_name is None:
            if self.sealed_name is None:
                raise ManifestError("the manifest holds no school name")
            self.plain_name = keys.open_school_name(master, self.slug, self.sealed_name)
        return self.plain_name

    def encode(self) -> bytes:
        """Canonical JSON with its own sha256 (the name only sealed: see set_name)."""
        if self.sealed_name is None:
            raise ManifestError("the school's name must be sealed (set_name) before saving")
        body = {
            "format": FORMAT_VERSION,
            "school": {"slug": self.slug,
                       "sealed_name": base64.b64encode(self.sealed_name).decode()},
            "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(self.keys.items())},
            "generations": [g.to_json() for g in self.generations],
            "shipped": self.shipped,
        }
        return with_checksum(body)

    @classmethod
    def decode(cls, data: bytes) -> "Manifest":
        """Parse and check a stored manifest."""
        try:
            body = json.loads(data)
        except ValueError as exc:
            raise ManifestError("the manifest is not valid JSON") from exc
        if body.get("format") not in READ_FORMATS:
            raise ManifestError(f"unknown manifest format {body.get('format')!r}")
        digest = body.pop("sha256", None)
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"))
        if hashlib.sha256(canon.encode()).hexdigest() != digest:
            raise ManifestError("the manifest fails its checksum")
        school = body["school"]
        sealed = school.get("sealed_name")
        return cls(
            slug=school["slug"],
            sealed_name=base64.b64decode(sealed) if sealed else None,
            keys={int(v): base64.b64decode(k) for v, k in body["keys"].items()},
            generations=[Generation.from_json(g) for g in body["generations"]],
            shipped=body.get("shipped") or {},
            plain_name=school.get("name") if body["format"] == 1 else None,
        )


def with_checksum(body: dict) -> bytes:
    """A manifest's JSON as stored: its sha256 over the canonical JSON added (body changes)."""
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"))
    body["sha256"] = hashlib.sha256(canon.encode()).hexdigest()
    return json.dumps(body, sort_keys=True, indent=1).encode()


def load(target: Target, slug: str) -> Manifest | None:
    """A school's manifest from the target, or None when the school has none."""
    try:
        data = target.get(manifest_key(slug))
    except NotFoundInTarget:
        return None
    return Manifest.decode(data)


def save(target: Target, manifest: Manifest) -> None:
    """Replace the manifest atomically."""
    target.put(manifest_key(manifest.slug), manifest.encode())


def list_schools(target: Target) -> list[str]:
    """Slugs that have a manifest in the target."""
    return sorted({o.key.split("/", 1)[0] for o in target.list("")
                   if o.key.endswith("/" + MANIFEST) and o.key.count("/") == 1})
