"""`gvo doctor` (issue 17, acceptance 3): a sound installation passes every check; each
check, on an installation broken in the way it looks for, fails (exit status 1) and says
what to fix in its one line.

Real parts throughout: SQLCipher instances, the replica on a second file system
(/dev/shm), aiosmtpd on loopback, a loopback NTP server, moto's S3 server, and for the
proxy check a real `gvo serve` behind Debian's nginx with a throwaway certificate.
"""

import os
import stat

import boto3
import pytest
from conftest import gvo_command
from mail.conftest import MAIL_FROM, SmtpServer
from replication.conftest import free_port

from gvo.storage.instance import Instance
from ops.conftest import HEALTH_TOKEN, MASTER_KEY, behind_nginx, make_office


def doctor(office, *args: str, **settings: str):
    """`gvo doctor` on the office with its settings and `settings`; (result, lines by
    check name: (mark, message))."""
    result = gvo_command("--instance", str(office.instance), "doctor", *args,
                         **{**office.env, **settings})
    lines = {}
    for line in result.stdout.splitlines():
        mark, name, message = line[:7].strip(), line[9:].split("  ")[0].strip(), line
        lines[name] = (mark, message)
    return result, lines


def assert_fails(office, check: str, hint: str, *args: str, **settings: str) -> str:
    """Doctor exits 1 and the line of `check` is FAIL and says `hint`; returns the line."""
    result, lines = doctor(office, *args, **settings)
    assert result.returncode == 1, result.output
    mark, line = lines[check]
    assert mark == "FAIL", result.output
    assert hint in line, line
    assert f"failed: {check}" in result.stderr or f", {check}" in result.stderr
    return line


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def sound_settings(smtp, ntp_server) -> dict:
    return {"GVO_SMTP_URL": smtp.url, "GVO_MAIL_FROM": MAIL_FROM,
            "GVO_NTP_SERVER": ntp_server(0.0).address}


def test_a_sound_installation_passes_every_check(tmp_path, smtp, ntp_server):
    with make_office(tmp_path) as office, behind_nginx(
            office, tmp_path, GVO_TRUSTED_PROXIES="1", GVO_HEALTH_TOKEN=HEALTH_TOKEN) as proxy:
        result, lines = doctor(office, "--url", proxy.url, "--ca-file", str(proxy.ca_file),
                               GVO_HEALTH_TOKEN=HEALTH_TOKEN, **sound_settings(smtp, ntp_server))
    assert result.returncode == 0, result.output
    assert set(lines) == {"master key", "instance modes", "replica", "smtp", "clock", "proxy",
                          "disk space"}
    assert {mark for mark, _ in lines.values()} == {"ok"}, result.output
    assert "GVO saw https" in lines["proxy"][1]
    assert smtp.arrived == []  # the SMTP check sends no mail


# -- master key --------------------------------------------------------------------------


def key_file_office(office) -> None:
    """The office with its master key in the instance's key file instead."""
    key = office.instance / "master.key"
    key.write_text(MASTER_KEY + "\n")
    key.chmod(0o600)


def test_a_master_key_file_readable_by_others_fails(office):
    key_file_office(office)
    (office.instance / "master.key").chmod(0o644)
    line = assert_fails(office, "master key", "chmod 600", GVO_MASTER_KEY="")
    assert "0644" in line


def test_a_master_key_file_on_the_replicas_disk_fails(office):
    key_file_office(office)
    same_disk = office.instance.parent / "replica"
    same_disk.mkdir(mode=0o700)
    assert_fails(office, "master key", "same disk as the replica", GVO_MASTER_KEY="",
                 GVO_REPLICA_URL=same_disk.as_uri())


def test_a_master_key_file_in_the_instance_with_the_replica_elsewhere_is_a_warning(office):
    key_file_office(office)
    result, lines = doctor(office, GVO_MASTER_KEY="")
    assert lines["master key"][0] == "WARN"
    assert "keep a copy off this server" in lines["master key"][1]


def test_a_key_from_a_credential_or_a_named_file_is_checked_where_it_is(office, tmp_path):
    """The doctor looks where GVO reads the key (gvo.storage.keys.master_key_file): systemd's
    credential or the file GVO_MASTER_KEY_FILE names, outside the instance, is ok; the same
    file readable by others fails."""
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    key = credentials / "master.key"
    key.write_text(MASTER_KEY + "\n")
    key.chmod(0o600)
    for settings in ({"CREDENTIALS_DIRECTORY": str(credentials)},
                     {"GVO_MASTER_KEY_FILE": str(key)}):
        result, lines = doctor(office, GVO_MASTER_KEY="", **settings)
        assert lines["master key"][0] == "ok", result.output
        assert str(key) in lines["master key"][1]
    key.chmod(0o640)
    assert_fails(office, "master key", "chmod 600", GVO_MASTER_KEY="",
                 GVO_MASTER_KEY_FILE=str(key))


def test_a_missing_master_key_fails(office):
    line = assert_fails(office, "master key", "put the key back", GVO_MASTER_KEY="")
    assert "GVO_MASTER_KEY" in line


# -- instance modes ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["schools/alpha/school.db", "schools/alpha", "control.db"])
def test_an_instance_file_or_folder_readable_by_others_fails(office, which):
    path = office.instance / which
    path.chmod(0o755 if path.is_dir() else 0o644)
    line = assert_fails(office, "instance modes", "chmod -R go-rwx")
    assert str(path) in line


# -- replica -----------------------------------------------------------------------------


def test_a_missing_replica_folder_fails(office):
    office.replica.rmdir()
    assert_fails(office, "replica", "is missing")


def test_a_replica_on_the_instances_disk_fails(office):
    same_disk = office.instance.parent / "replica"
    same_disk.mkdir(mode=0o700)
    assert_fails(office, "replica", "on the instance's own disk",
                 GVO_REPLICA_URL=same_disk.as_uri())


def test_a_replica_folder_that_takes_no_file_fails(office):
    # A read-only file system: root writes anywhere a mode allows, not there.
    assert_fails(office, "replica", "takes no file", GVO_REPLICA_URL="file:///proc/self")


def test_a_replica_bucket_that_does_not_answer_fails_and_one_that_does_passes(
        office, moto_endpoint):
    boto3.client("s3", endpoint_url=moto_endpoint["url"],
                 region_name="us-east-1").create_bucket(Bucket="gvo-doctor")
    settings = {"GVO_S3_ENDPOINT": moto_endpoint["url"]}
    result, lines = doctor(office, GVO_REPLICA_URL="s3://gvo-doctor/replicas", **settings)
    assert lines["replica"][0] == "ok", result.output
    assert_fails(office, "replica", "does not answer", GVO_REPLICA_URL="s3://no-such-bucket/r",
                 **settings)


def test_a_replica_url_gvo_cannot_use_fails(office):
    assert_fails(office, "replica", "GVO_REPLICA_URL", GVO_REPLICA_URL="ftp://example.org/r")


# -- SMTP --------------------------------------------------------------------------------


def test_an_smtp_server_that_cannot_be_reached_fails(office, smtp):
    result, lines = doctor(office, GVO_SMTP_URL=smtp.url, GVO_MAIL_FROM=MAIL_FROM)
    assert lines["smtp"][0] == "ok", result.output
    dead = f"smtp://127.0.0.1:{free_port()}?starttls=off"
    assert_fails(office, "smtp", "cannot reach the mail server", GVO_SMTP_URL=dead,
                 GVO_MAIL_FROM=MAIL_FROM)


def test_an_smtp_server_without_the_required_starttls_fails(office, smtp):
    # aiosmtpd here offers no STARTTLS; smtp:// requires it.
    assert_fails(office, "smtp", "STARTTLS", GVO_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                 GVO_MAIL_FROM=MAIL_FROM)
    assert smtp.arrived == []


# -- clock -------------------------------------------------------------------------------


def test_a_clock_an_hour_off_fails(office, ntp_server):
    line = assert_fails(office, "clock", "enable NTP", GVO_NTP_SERVER=ntp_server(3600).address)
    assert "3600" in line and "behind" in line  # the NTP server is an hour ahead


def test_a_clock_that_cannot_be_compared_is_unknown_never_ok(office):
    silent = f"127.0.0.1:{free_port()}"  # nobody answers there
    result, lines = doctor(office, GVO_NTP_SERVER=silent)
    assert lines["clock"][0] == "unknown", result.output
    assert "did not answer" in lines["clock"][1]


# -- proxy -------------------------------------------------------------------------------


def test_a_proxy_whose_headers_gvo_ignores_fails(tmp_path):
    """nginx sends X-Forwarded-Proto but GVO was not told to trust it: GVO sees http,
    so it sends no HSTS and no Secure cookie."""
    with make_office(tmp_path) as office, behind_nginx(
            office, tmp_path, GVO_HEALTH_TOKEN=HEALTH_TOKEN) as proxy:
        without_token = assert_fails(office, "proxy", "GVO_TRUSTED_PROXIES=1", "--url",
                                     proxy.url, "--ca-file", str(proxy.ca_file))
        with_token = assert_fails(office, "proxy", "GVO saw the request as http", "--url",
                                  proxy.url, "--ca-file", str(proxy.ca_file),
                                  GVO_HEALTH_TOKEN=HEALTH_TOKEN)
        untrusted = assert_fails(office, "proxy", "cannot be reached", "--url", proxy.url)
    assert "Strict-Transport-Security" in without_token
    assert with_token and "CERTIFICATE_VERIFY_FAILED" in untrusted  # without --ca-file


def test_a_plain_http_address_fails(office):
    assert_fails(office, "proxy", "not an https:// address", "--url", "http://127.0.0.1:9")


# -- disk space --------------------------------------------------------------------------


def test_a_disk_without_room_for_a_copy_of_the_instance_fails(office):
    # A sparse file: the instance's size grows past the free space, not the disk's use.
    free = os.statvfs(office.instance).f_bavail * os.statvfs(office.instance).f_frsize
    with open(office.instance / "schools" / "alpha" / "attic.bin", "wb") as f:
        f.truncate(free)
    os.chmod(office.instance / "schools" / "alpha" / "attic.bin", stat.S_IRUSR | stat.S_IWUSR)
    assert_fails(office, "disk space", "grow the disk")


def test_a_disk_filling_within_a_month_fails(office):
    """The instance's growth since it was made (a day ago, as its control database says)
    leaves less than 30 days of free space."""
    inst = Instance.open(office.instance, environ={"GVO_MASTER_KEY": MASTER_KEY})
    try:
        inst.control().execute("UPDATE instance_info SET value = strftime("
                               "'%Y-%m-%dT%H:%M:%SZ', 'now', '-10 days') WHERE key = "
                               "'created_at'")
    finally:
        inst.close()
    free = os.statvfs(office.instance).f_bavail * os.statvfs(office.instance).f_frsize
    with open(office.instance / "schools" / "alpha" / "attic.bin", "wb") as f:
        f.truncate(free // 3)  # 10 days made a third of the free space: 30 days left
    os.chmod(office.instance / "schools" / "alpha" / "attic.bin", 0o600)
    line = assert_fails(office, "disk space", "grow the disk now")
    assert "days left" in line


def test_no_instance_at_all_fails_clearly(tmp_path):
    result = gvo_command("--instance", str(tmp_path / "nowhere"), "doctor",
                         GVO_REPLICA_URL=(tmp_path / "r").as_uri())
    assert result.returncode == 1, result.output
    assert "FAIL     instance modes  no instance folder at" in result.stdout
    assert "unknown  disk space" in result.stdout
    assert "Traceback" not in result.output
