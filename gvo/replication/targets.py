"""Replica targets: a directory or an S3-compatible bucket, behind one small interface.

Keys are '/'-separated relative names ("alpha/manifest.json"). `put` is
atomic: a reader sees the old object or the new one, never half of one.
"""

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from gvo.storage import files

PART_BYTES = 8 * 1024 * 1024  # S3 multipart part size (S3's minimum is 5 MiB)



def fsync_path(path) -> None:
    """fsync a file (its bytes) or a folder (the renames in it), by name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

class TargetError(Exception):
    """The replica target could not be reached or refused an operation."""


class NotFoundInTarget(TargetError):
    """The object does not exist in the target."""


@dataclass(frozen=True)
class ObjectInfo:
    """A stored object's key and size in bytes."""

    key: str
    size: int


class Target:
    """The interface every target implements."""

    url: str

    def put(self, key: str, data: bytes) -> None:
        """Store data under key, atomically."""
        raise NotImplementedError

    def put_file(self, key: str, path: Path) -> None:
        """Store a local file's bytes under key, atomically."""
        raise NotImplementedError

    def writer(self, key: str):
        """A context manager giving a binary writable stream for key.

        The object appears, whole, only when the block ends without an
        exception; memory use is bounded whatever is written.
        """
        raise NotImplementedError

    def open_stream(self, key: str):
        """A context manager giving a binary readable stream of key's bytes."""
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        """The bytes stored under key; NotFoundInTarget if there are none."""
        raise NotImplementedError

    def get_file(self, key: str, path: Path) -> None:
        """Download key into a local file."""
        raise NotImplementedError

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Objects whose key starts with prefix, sorted by key."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove key (no error if it is already gone)."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise TargetError if the target is not usable right now."""
        self.list("")

    def local_path(self) -> Path | None:
        """The directory of a file target (None for remote targets)."""
        return None


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"bad replica key {key!r}")
    return key


class FileTarget(Target):
    """A directory (a second disk, a NAS mount). The directory itself must exist."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.url = self.root.resolve().as_uri() if self.root.is_absolute() else str(root)

    def local_path(self) -> Path:
        """The target directory."""
        return self.root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key).split("/"))

    def file_path(self, key: str) -> Path:
        """The local file holding key (a restore reads segments in place)."""
        return self._path(key)

    def _ensure_root(self) -> None:
        # A missing root is an unmounted or deleted target: never recreate it silently,
        # or the replica would land on the wrong disk.
        if not self.root.is_dir():
            raise TargetError(f"replica folder {self.root} is missing")

    def _write(self, key: str, writer) -> None:
        self._ensure_root()
        dest = self._path(key)
        try:
            files.private_dir(dest.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    writer(f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            fsync_path(dest.parent)
        except OSError as exc:
            raise TargetError(f"cannot write {dest}: {exc.strerror or exc}") from exc

    @contextlib.contextmanager
    def writer(self, key: str):
        """Stream into a temporary file; fsync, rename into place, fsync the folder."""
        self._ensure_root()
        dest = self._path(key)
        try:
            files.private_dir(dest.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
        except OSError as exc:
            raise TargetError(f"cannot write {dest}: {exc.strerror or exc}") from exc
        done = False
        try:
            with os.fdopen(fd, "wb") as f:
                try:
                    yield f
                    f.flush()
                    os.fsync(f.fileno())
                except OSError as exc:
                    raise TargetError(f"cannot write {dest}: {exc.strerror or exc}") from exc
            try:
                os.replace(tmp, dest)
                done = True
                fsync_path(dest.parent)
            except OSError as exc:
                raise TargetError(f"cannot write {dest}: {exc.strerror or exc}") from exc
        finally:
            if not done:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    @contextlib.contextmanager
    def open_stream(self, key: str):
        """The object's file, open for reading."""
        self._ensure_root()
        try:
            f = open(self._path(key), "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise NotFoundInTarget(f"{key} not found in {self.root}") from None
        except OSError as exc:
            raise TargetError(f"cannot read {key} in {self.root}: {exc}") from exc
        with f:
            yield f

    def put(self, key: str, data: bytes) -> None:
        """Write to a temporary file, fsync, rename into place, fsync the folder."""
        self._write(key, lambda f: f.write(data))

    def put_file(self, key: str, path: Path) -> None:
        """Copy a local file in, atomically."""

        def copy(f):
            with open(path, "rb") as src:
                while chunk := src.read(1 << 20):
                    f.write(chunk)

        self._write(key, copy)

    def get(self, key: str) -> bytes:
        """Read one object."""
        self._ensure_root()
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundInTarget(f"{key} not found in {self.root}") from None
        except OSError as exc:
            raise TargetError(f"cannot read {key} in {self.root}: {exc}") from exc

    def get_file(self, key: str, path: Path) -> None:
        """Copy one object out to a local file."""
        self._ensure_root()
        try:
            with open(self._path(key), "rb") as src, files.open_private(path, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        except FileNotFoundError:
            raise NotFoundInTarget(f"{key} not found in {self.root}") from None
        except OSError as exc:
            raise TargetError(f"cannot read {key} in {self.root}: {exc}") from exc

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Walk the folder for keys under prefix (temporary files skipped).

        With os.scandir and plain strings: `gvo status` lists every school's objects, and
        building a Path per file was most of its time with 500 schools.
        """
        self._ensure_root()
        start = ""
        if "/" in prefix:
            start = prefix.rsplit("/", 1)[0] + "/"
        found: list[ObjectInfo] = []
        try:
            self._walk(os.path.join(str(self.root), start), start, prefix, found)
        except OSError as exc:
            raise TargetError(f"cannot list {self.root}: {exc}") from exc
        return sorted(found, key=lambda o: o.key)

    @classmethod
    def _walk(cls, folder: str, rel: str, prefix: str, found: "list[ObjectInfo]") -> None:
        """Add the objects under `folder` (key prefix `rel`) whose key starts with prefix.

        As os.walk did: a folder that cannot be read is skipped, links to folders are not
        followed, a file gone meanwhile is left out.
        """
        try:
            entries = os.scandir(folder)
        except OSError:
            return
        with entries:
            for entry in entries:
                key = rel + entry.name
                if entry.is_dir():
                    if not entry.is_symlink() and (key + "/").startswith(prefix[:len(key) + 1]):
                        cls._walk(entry.path, key + "/", prefix, found)
                    continue
                if entry.name.startswith(".tmp-") or not key.startswith(prefix):
                    continue
                try:
                    found.append(ObjectInfo(key, entry.stat().st_size))
                except FileNotFoundError:
                    continue

    def delete(self, key: str) -> None:
        """Remove one object, and its folder if that is now empty."""
        self._ensure_root()
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise TargetError(f"cannot delete {key} in {self.root}: {exc}") from exc
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def check(self) -> None:
        """The folder must exist and take a write."""
        self._ensure_root()
        if not os.access(self.root, os.W_OK):
            raise TargetError(f"replica folder {self.root} is not writable")


class S3Target(Target):
    """An S3-compatible bucket (AWS, MinIO, Backblaze B2...) under a key prefix.

    Credentials come from the usual AWS environment variables or files; the
    endpoint from GVO_S3_ENDPOINT or AWS_ENDPOINT_URL (for non-AWS services).
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint: str | None = None,
                 region: str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        endpoint = endpoint or os.environ.get("GVO_S3_ENDPOINT") or os.environ.get(
            "AWS_ENDPOINT_URL")
        region = region or os.environ.get("AWS_REGION") or os.environ.get(
            "AWS_DEFAULT_REGION") or "us-east-1"
        config = Config(connect_timeout=3, read_timeout=10,
                        retries={"max_attempts": 2, "mode": "standard"})
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=region, config=config)

    def _key(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, fn, *args, **kw):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kw)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise NotFoundInTarget(f"{what}: not found in {self.url}") from None
            raise TargetError(f"{what} on {self.url} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise TargetError(f"{what} on {self.url} failed: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        """One PUT: S3 objects appear whole or not at all."""
        self._call(f"put {key}", self.client.put_object, Bucket=self.bucket,
                   Key=self._key(key), Body=data)

    @contextlib.contextmanager
    def writer(self, key: str):
        """Buffer up to PART_BYTES; one PUT if that is all, else a multipart upload
        (parts of PART_BYTES, completed only at the end, aborted on failure)."""
        out = _S3Writer(self, key)
        try:
            yield out
            out.finish()
        except BaseException:
            out.abort()
            raise

    @contextlib.contextmanager
    def open_stream(self, key: str):
        """The object's body, streamed from S3."""
        resp = self._call(f"get {key}", self.client.get_object, Bucket=self.bucket,
                          Key=self._key(key))
        body = resp["Body"]
        try:
            yield _S3Reader(self, key, body)
        finally:
            body.close()

    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file (multipart for large ones; still atomic)."""
        self._call(f"put {key}", self.client.upload_file, str(path), self.bucket,
                   self._key(key))

    def get(self, key: str) -> bytes:
        """Download one object."""
        resp = self._call(f"get {key}", self.client.get_object, Bucket=self.bucket,
                          Key=self._key(key))
        return self._call(f"get {key}", resp["Body"].read)

    def get_file(self, key: str, path: Path) -> None:
        """Download one object into a local file."""
        self._call(f"get {key}", self.client.download_file, self.bucket, self._key(key),
                   str(path))

    def list(self, prefix: str) -> list[ObjectInfo]:
        """List objects under prefix (all pages)."""
        if ".." in prefix.split("/") or prefix.startswith("/"):
            raise ValueError(f"bad replica prefix {prefix!r}")
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(self.prefix) + 1 if self.prefix else 0
        out = []
        token = None
        while True:
            kw = {"Bucket": self.bucket, "Prefix": full}
            if token:
                kw["ContinuationToken"] = token
            resp = self._call("list", self.client.list_objects_v2, **kw)
            for obj in resp.get("Contents", []):
                out.append(ObjectInfo(obj["Key"][strip:], obj["Size"]))
            if not resp.get("IsTruncated"):
                break
            token = resp["NextContinuationToken"]
        return sorted(out, key=lambda o: o.key)

    def delete(self, key: str) -> None:
        """Delete one object."""
        self._call(f"delete {key}", self.client.delete_object, Bucket=self.bucket,
                   Key=self._key(key))

    def check(self) -> None:
        """The bucket answers a (one-key) listing."""
        self._call("check", self.client.list_objects_v2, Bucket=self.bucket,
                   Prefix=self.prefix, MaxKeys=1)


class _S3Writer:
    """The writable side of S3Target.writer: at most one part in memory."""

    def __init__(self, target: S3Target, key: str):
        self.target = target
        self.key = key
        self.buf = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict] = []

    def write(self, data) -> int:
        """Take bytes; upload a part whenever a whole one is buffered."""
        self.buf += data
        while len(self.buf) >= PART_BYTES:
            self._part(bytes(self.buf[:PART_BYTES]))
            del self.buf[:PART_BYTES]
        return len(data)

    def _part(self, data: bytes) -> None:
        t = self.target
        if self.upload_id is None:
            resp = t._call(f"put {self.key}", t.client.create_multipart_upload,
                           Bucket=t.bucket, Key=t._key(self.key))
            self.upload_id = resp["UploadId"]
        n = len(self.parts) + 1
        resp = t._call(f"put {self.key}", t.client.upload_part, Bucket=t.bucket,
                       Key=t._key(self.key), UploadId=self.upload_id, PartNumber=n, Body=data)
        self.parts.append({"PartNumber": n, "ETag": resp["ETag"]})

    def finish(self) -> None:
        """Make the object appear: one PUT, or the last part and completion."""
        t = self.target
        if self.upload_id is None:
            t.put(self.key, bytes(self.buf))
            return
        if self.buf:
            self._part(bytes(self.buf))
            self.buf.clear()
        t._call(f"put {self.key}", t.client.complete_multipart_upload, Bucket=t.bucket,
                Key=t._key(self.key), UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts})
        self.upload_id = None

    def abort(self) -> None:
        """Drop what was uploaded (no object appears)."""
        self.buf.clear()
        if self.upload_id is not None:
            t = self.target
            with contextlib.suppress(TargetError):
                t._call(f"abort {self.key}", t.client.abort_multipart_upload,
                        Bucket=t.bucket, Key=t._key(self.key), UploadId=self.upload_id)
            self.upload_id = None


class _S3Reader:
    """The readable side of S3Target.open_stream, with S3 errors as TargetError."""

    def __init__(self, target: S3Target, key: str, body):
        self.target = target
        self.key = key
        self.body = body

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes of the object."""
        return self.target._call(f"get {self.key}", self.body.read, None if n < 0 else n)

    def readinto(self, b) -> int:
        """Fill b with the next bytes of the object; returns how many (0 at the end)."""
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def open_target(url: str) -> Target:
    """A target from its URL: file:///path, a plain path, or s3://bucket/prefix."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"replica URL {url!r} names no bucket")
        return S3Target(parsed.netloc, unquote(parsed.path))
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"replica URL {url!r}: file URLs name a local path")
        return FileTarget(Path(unquote(parsed.path)))
    if parsed.scheme == "":
        return FileTarget(Path(url).absolute())
    raise ValueError(f"unsupported replica URL {url!r} (use file:///path or s3://bucket/prefix)")
