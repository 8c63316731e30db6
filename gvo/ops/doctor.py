"""`gvo doctor`: checks of an installation, each saying in one line what to fix.

Each check is a function returning a `Check`: its status is "ok", "warn" (worth fixing,
nothing is at risk now), "fail" (must be fixed: `gvo doctor` exits non-zero) or
"unknown" (the check could not tell; never reported as ok). Checks read files, sockets
and settings; none changes anything (the replica check writes one empty file in the
replica folder and deletes it; the SMTP check sends no mail). Opening the instance, for
its age, tightens its folders' modes as any command does: `run` checks modes first.

The file checks run before the instance is opened: opening it tightens folder modes,
which would hide what the check is for.
"""

import contextlib
import json
import os
import shutil
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from gvo.storage import files, keys

OK, WARN, FAIL, UNKNOWN = "ok", "warn", "fail", "unknown"
NTP_SERVER_ENV = "GVO_NTP_SERVER"
CLOCK_WARN_SECONDS = 1.0  # audit times and session timeouts drift visibly beyond this
CLOCK_FAIL_SECONDS = 10.0  # two-step codes (30 s steps, one step of slack) start failing
DISK_COPIES = 2  # a restore, a rekey or a VACUUM writes a full copy of a school beside it
DISK_FAIL_DAYS = 30  # days of growth left below which the disk must be seen to now
DISK_WARN_DAYS = 180
HSTS_MIN_SECONDS = 365 * 24 * 3600  # what GVO itself sends is two years
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Check:
    """One check's outcome: `name` (what was checked), `status` (OK, WARN, FAIL, UNKNOWN)
    and `message` (one line: what was found and, unless ok, what to do)."""

    name: str
    status: str
    message: str


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _same_disk(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def master_key(instance: Path, env: dict, replica_root: Path | None) -> Check:
    """The master key, where GVO reads it (`gvo.storage.keys.master_key_file`, the one rule):
    GVO_MASTER_KEY (ok: stored nowhere here), else the file GVO_MASTER_KEY_FILE names or
    systemd's credential, else the instance's key file. A file must be its owner's only
    (0600) and must not share a disk with a file replica (whoever copies that disk has key
    and data); a key file inside the instance is a warning (a copy of the instance carries
    it). replica_root: the file replica's folder, or None for an object-store replica."""
    name = "master key"
    path = keys.master_key_file(instance, env)
    if path is None:
        return Check(name, OK, f"given in {keys.MASTER_KEY_ENV}; the instance stores no key")
    if not path.is_file():
        return Check(name, FAIL, f"no key file at {path} and no {keys.MASTER_KEY_ENV}: nothing "
                                 "can be opened; put the key back from your off-site copy")
    mode = _mode(path)
    if mode & 0o077:
        return Check(name, FAIL, f"{path} is mode {mode:04o}, readable by others: "
                                 f"run chmod 600 {path}")
    if replica_root is not None and _same_disk(path, replica_root):
        return Check(name, FAIL, f"{path} is on the same disk as the replica {replica_root}: "
                                 "one copy of that disk opens every school; keep the key "
                                 "elsewhere (systemd's LoadCredential, see deploy/)")
    if path.resolve().is_relative_to(instance.resolve()):
        return Check(name, WARN, f"stored inside the instance ({path}, 0600): keep a copy off "
                                 "this server, and the key outside the instance "
                                 f"({keys.MASTER_KEY_FILE_ENV} or systemd's LoadCredential)")
    return Check(name, OK, f"read from {path} (0600), outside the instance")


def instance_modes(instance: Path) -> Check:
    """Every file under the instance is its owner's only (0600) and every folder too
    (0700), as GVO makes them (README, 'Operating a server'); symbolic links are not
    followed."""
    name = "instance modes"
    if not instance.is_dir():
        return Check(name, FAIL, f"no instance folder at {instance}")
    loose = [instance] if _mode(instance) & 0o077 else []
    for folder, subfolders, names in os.walk(instance):
        here = Path(folder)
        for child in [*subfolders, *names]:
            path = here / child
            if not path.is_symlink() and _mode(path) & 0o077:
                loose.append(path)
    if loose:
        first = loose[0]
        return Check(name, FAIL, f"{len(loose)} file(s) or folder(s) readable by others, e.g. "
                                 f"{first} ({_mode(first):04o}): run chmod -R go-rwx {instance}")
    return Check(name, OK, f"files {files.FILE_MODE:04o}, folders {files.DIR_MODE:04o}")


def replica(instance: Path, target) -> Check:
    """The replica target (a gvo.replication.targets Target) answers: a folder exists,
    takes a file and is on another disk than the instance; a bucket answers HeadBucket."""
    name = "replica"
    root = target.local_path()
    if root is None:
        try:
            target.client.head_bucket(Bucket=target.bucket)
        except Exception as exc:  # noqa: BLE001 - botocore's many errors: all say "unreachable"
            return Check(name, FAIL, f"{target.url} does not answer ({_first_line(exc)}): "
                                     "check the bucket's name, endpoint and credentials")
        return Check(name, OK, f"{target.url} answers")
    if not root.is_dir():
        return Check(name, FAIL, f"replica folder {root} is missing: mount the replica disk, "
                                 "or make the folder if its disk is mounted")
    probe = root / f".gvo-doctor-{uuid.uuid4().hex}"
    try:
        files.create_file(probe)
        probe.unlink()
    except OSError as exc:
        return Check(name, FAIL, f"replica folder {root} takes no file ({exc.strerror}): give "
                                 "GVO's user write access to it")
    if _same_disk(root, instance):
        return Check(name, FAIL, f"replica folder {root} is on the instance's own disk: it is "
                                 "no backup; set GVO_REPLICA_URL to another disk or a bucket")
    return Check(name, OK, f"{target.url} is writable, on another disk")


def smtp(settings) -> Check:
    """The SMTP server (gvo.mail.config settings) answers: connection, EHLO, TLS as
    configured and the login, with no message sent. Mail off is ok."""
    from gvo.mail import sender

    name = "smtp"
    if not settings.enabled:
        return Check(name, OK, "mail is off (GVO_SMTP_URL unset): nothing to reach")
    try:
        conn = sender.connect(settings.smtp)
    except sender.Unreachable as exc:
        return Check(name, FAIL, f"cannot reach the mail server: {exc}: check GVO_SMTP_URL and "
                                 "the server's firewall")
    with contextlib.suppress(Exception):  # it answered; how it hangs up does not matter
        conn.quit()
    return Check(name, OK, f"{settings.smtp.describe()} answers (no message sent)")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _offset_check(name: str, offset: float, source: str) -> Check:
    drift = abs(offset)
    said = f"{drift:.2f} s {'ahead of' if offset < 0 else 'behind'} {source}"
    if drift > CLOCK_FAIL_SECONDS:
        return Check(name, FAIL, f"clock {said}: two-step codes fail; enable NTP "
                                 "(systemd-timesyncd or chrony)")
    if drift > CLOCK_WARN_SECONDS:
        return Check(name, WARN, f"clock {said}: check the server's NTP service")
    return Check(name, OK, f"clock within {drift:.2f} s of {source}")


def clock(ntp_server: str | None) -> Check:
    """Whether the clock is in sync: against `ntp_server` ("host" or "host:port", from
    GVO_NTP_SERVER) when one is given; else as `timedatectl` or `chronyc tracking` says;
    else "unknown". NTP offset per RFC 5905 (ntplib)."""
    name = "clock"
    if ntp_server:
        import ntplib

        host, _, port = ntp_server.partition(":") if ntp_server.count(":") == 1 else (
            ntp_server, "", "")
        try:
            answer = ntplib.NTPClient().request(host, version=4, port=int(port or 123),
                                                timeout=TIMEOUT_SECONDS)
        except (ntplib.NTPException, OSError, ValueError) as exc:
            return Check(name, UNKNOWN, f"NTP server {ntp_server} did not answer "
                                        f"({_first_line(exc)}): check {NTP_SERVER_ENV}")
        return _offset_check(name, answer.offset, ntp_server)
    said = _tool(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if said in ("yes", "no"):
        return (Check(name, OK, "timedatectl: synchronised with NTP") if said == "yes" else
                Check(name, FAIL, "timedatectl: not synchronised: run timedatectl "
                                  "set-ntp true (or install chrony)"))
    tracking = _tool(["chronyc", "-n", "tracking"])
    if tracking:
        fields = dict(line.split(":", 1) for line in tracking.splitlines() if ":" in line)
        leap = fields.get("Leap status ", fields.get("Leap status", "")).strip()
        if leap and leap != "Normal":
            return Check(name, FAIL, f"chrony: {leap}: check chronyd's sources")
        system = fields.get("System time    ", fields.get("System time", "")).split()
        if system:
            offset = float(system[0]) * (1 if "slow" in system else -1)
            return _offset_check(name, offset, "chrony's reference")
    return Check(name, UNKNOWN, "cannot tell (no timedatectl or chronyc answer): set "
                                f"{NTP_SERVER_ENV} to compare with an NTP server")


def _tool(argv: list[str]) -> str:
    """A command's output, stripped; "" when it is missing or fails."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def proxy(url: str, *, ca_file: str | None = None, health_token: str | None = None) -> Check:
    """A real request through the proxy: GET `url`/healthz over https must answer, carry
    HSTS (max-age of a year or more) and, when `health_token` (GVO_HEALTH_TOKEN) is
    given, GVO must say it saw the request as https (the proxy's X-Forwarded-Proto
    reached it, with GVO_TRUSTED_PROXIES set). ca_file: a CA bundle to trust besides the
    system's. The token is only sent over https."""
    name = "proxy"
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.netloc:
        return Check(name, FAIL, f"{url} is not an https:// address: give the public "
                                 "address people use (the proxy terminates TLS)")
    context = ssl.create_default_context(cafile=ca_file)
    request = urllib.request.Request(url.rstrip("/") + "/healthz")  # noqa: S310 - https only
    if health_token:
        request.add_header("Authorization", f"Bearer {health_token}")
    try:
        with urllib.request.urlopen(request, context=context,  # noqa: S310 - https only
                                    timeout=TIMEOUT_SECONDS) as resp:
            headers, body = resp.headers, resp.read()
    except urllib.error.HTTPError as exc:  # 503 is still an answer from GVO
        headers, body = exc.headers, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check(name, FAIL, f"{url} cannot be reached ({_first_line(reason)}): check the "
                                 "proxy is running and its certificate")
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "status" not in answer:
        return Check(name, FAIL, f"{url}/healthz did not answer as GVO does: check the "
                                 "proxy passes requests to GVO's port")
    if health_token:
        scheme = (answer.get("request") or {}).get("scheme")
        if scheme is None:
            return Check(name, FAIL, "GVO did not accept GVO_HEALTH_TOKEN through the proxy: "
                                     "check the proxy passes the Authorization header")
        if scheme != "https":
            return Check(name, FAIL, f"GVO saw the request as {scheme}: set "
                                     "GVO_TRUSTED_PROXIES=1 and have the proxy send "
                                     "X-Forwarded-Proto (see deploy/)")
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = _max_age(hsts)
    if max_age is None:
        return Check(name, FAIL, "no Strict-Transport-Security header: GVO sends it when it "
                                 "sees https; set GVO_TRUSTED_PROXIES=1 and have the proxy "
                                 "send X-Forwarded-Proto (see deploy/)")
    if max_age < HSTS_MIN_SECONDS:
        return Check(name, WARN, f"HSTS max-age is {max_age} s: use a year or more")
    seen = "GVO saw https" if health_token else "HSTS sent (set GVO_HEALTH_TOKEN to check " \
                                                 "what GVO saw)"
    return Check(name, OK, f"{url}: TLS, {seen}")


def _max_age(hsts: str) -> int | None:
    for part in hsts.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "max-age" and value.strip().strip('"').isdigit():
            return int(value.strip().strip('"'))
    return None


def disk(instance: Path, created_at: float | None, now: float | None = None) -> Check:
    """Free space on the instance's disk against its size and growth: at least
    DISK_COPIES times the instance's size (a restore or rekey writes a copy beside it),
    and DISK_FAIL_DAYS (warn: DISK_WARN_DAYS) days of growth at the instance's average
    rate since `created_at` (epoch seconds; None: the size rule only)."""
    name = "disk space"
    if not instance.is_dir():
        return Check(name, UNKNOWN, f"no instance folder at {instance} to measure")
    free = shutil.disk_usage(instance).free
    size = _tree_size(instance)
    mib = 1024 * 1024
    if free < DISK_COPIES * size:
        return Check(name, FAIL, f"{free // mib} MiB free for an instance of {size // mib} MiB: "
                                 f"keep at least {DISK_COPIES}x its size free (a restore or "
                                 "rekey writes a copy); grow the disk")
    if created_at is None:
        return Check(name, OK, f"{free // mib} MiB free, {size // mib} MiB used")
    days = max(1.0, ((now or time.time()) - created_at) / 86400)
    per_day = size / days
    left = free / per_day if per_day else float("inf")
    said = f"{free // mib} MiB free, growing {per_day / mib:.1f} MiB a day: {left:.0f} days left"
    if left < DISK_FAIL_DAYS:
        return Check(name, FAIL, f"{said}: grow the disk now")
    if left < DISK_WARN_DAYS:
        return Check(name, WARN, f"{said}: plan a larger disk")
    return Check(name, OK, said)


def _tree_size(folder: Path) -> int:
    total = 0
    for here, _dirs, names in os.walk(folder):
        for n in names:
            try:
                total += os.lstat(os.path.join(here, n)).st_size
            except OSError:
                continue  # a file gone while counting (a WAL checkpointed away)
    return total



def instance_created_at(inst) -> float | None:
    """When the instance (an opened gvo.storage.instance.Instance) was made, in epoch
    seconds (UTC), from its control database; None if it does not say."""
    row = inst.control().execute(
        "SELECT value FROM instance_info WHERE key = 'created_at'").fetchone()
    if row is None:
        return None
    try:
        return datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def run(instance: Path, env: dict, *, target, open_instance, url: str | None = None,
        ca_file: str | None = None) -> list[Check]:
    """Every check, in order, for the instance at `instance` with settings `env`.

    target: the replica Target, or an error message (str) if its URL is wrong;
    open_instance(): the opened Instance (raises GvoError when it cannot be opened), called
    after the file checks; url: the public https address for the proxy check (None:
    skipped); ca_file: extra CA bundle for it.
    """
    from gvo.core.errors import GvoError
    from gvo.mail import config as mail_config

    checks = []
    if isinstance(target, str):
        checks.append(Check("replica", FAIL, target))
        replica_root = None
    else:
        replica_root = target.local_path()
    checks += [master_key(instance, env, replica_root), instance_modes(instance)]
    if not isinstance(target, str):
        checks.append(replica(instance, target))
    created_at = None
    try:
        created_at = instance_created_at(open_instance())
    except GvoError as exc:
        checks.append(Check("instance", FAIL, f"cannot be opened: {exc}"))
    try:
        settings = mail_config.from_mapping(env)
    except GvoError as exc:
        checks.append(Check("smtp", FAIL, f"{exc}"))
    else:
        checks.append(smtp(settings))
    checks.append(clock(env.get(NTP_SERVER_ENV)))
    if url:
        checks.append(proxy(url, ca_file=ca_file, health_token=env.get("GVO_HEALTH_TOKEN")))
    checks.append(disk(instance, created_at))
    return checks
