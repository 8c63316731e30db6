"""No plaintext: neither a marker written through the app's services nor the school's name
appears in any replica object; manifests of the old format (name in plaintext) still restore."""

import json
import secrets

from click.testing import CliRunner

from gvo.cli import cli
from gvo.core.identity import Identity
from gvo.people import accounts
from gvo.replication import manifest as mf
from gvo.replication import restore
from gvo.replication.shipper import SchoolShipper
from gvo.storage.instance import Instance

from .conftest import SLUG

NAME = "Alpha Primary"  # rep_instance's school


def _no_name(data: bytes, where) -> None:
    for form in (NAME, NAME.lower(), NAME.upper()):
        assert form.encode() not in data, where
        assert form.encode("utf-16-le") not in data, where


def _write_marker(inst) -> bytes:
    marker = "PLAINTEXT-MARKER-" + secrets.token_hex(8)
    accounts.add_user(inst.db(SLUG), Identity.operator(), email=f"{marker.lower()}@example.org",
                      name=marker, role="author", password="correct-horse-battery-staple")
    return marker.encode()


def _replicate(inst, target):
    s = SchoolShipper(inst, SLUG, target)
    s.open()
    try:
        assert s.step()
        marker = _write_marker(inst)
        assert s.step()
        assert s.step(checkpoint=True)
        s.need_generation = "snapshot with the marker inside"
        assert s.step()
    finally:
        s.close()
    return marker


def test_marker_is_in_no_replica_file(rep_instance, file_target):
    marker = _replicate(rep_instance, file_target)
    files = [p for p in file_target.root.rglob("*") if p.is_file()]
    assert len(files) >= 4
    for p in files:
        data = p.read_bytes()
        assert marker not in data, p
        assert marker.lower() not in data, p
        assert b"SQLite format 3" not in data, p
        _no_name(data, p)


def test_marker_is_in_no_s3_object(rep_instance, s3_target):
    marker = _replicate(rep_instance, s3_target)
    objs = s3_target.list("")
    assert len(objs) >= 4
    for obj in objs:
        data = s3_target.get(obj.key)
        assert marker not in data and marker.lower() not in data, obj.key
        _no_name(data, obj.key)


def _as_format_1(data: bytes, name: str) -> bytes:
    """A manifest as GVO wrote it before names were sealed (format 1, name in plaintext)."""
    body = json.loads(data)
    del body["sha256"]
    body["format"] = 1
    body["school"] = {"slug": body["school"]["slug"], "name": name}
    return mf.with_checksum(body)


def test_a_format_1_manifest_with_a_plaintext_name_still_restores(rep_instance, file_target,
                                                                   tmp_path):
    _replicate(rep_instance, file_target)
    key = mf.manifest_key(SLUG)
    file_target.put(key, _as_format_1(file_target.get(key), NAME))
    fresh = Instance.init(tmp_path / "fresh", environ={"GVO_MASTER_KEY":
                                                       rep_instance.master_key.hex()})
    try:
        restore.restore(fresh, file_target, SLUG)
        assert fresh.school(SLUG).name == NAME
    finally:
        fresh.close()
    # The next round of replication rewrites it sealed (format 2).
    s = SchoolShipper(rep_instance, SLUG, file_target)
    s.open()
    try:
        assert s.step(checkpoint=True)
    finally:
        s.close()
    data = file_target.get(mf.manifest_key(SLUG))
    assert json.loads(data)["format"] == 2
    _no_name(data, "manifest.json")
    assert mf.Manifest.decode(data).school_name(rep_instance.master_key) == NAME


def test_replica_list_names_the_school_only_with_the_master_key(rep_instance, file_target,
                                                                tmp_path):
    _replicate(rep_instance, file_target)
    runner = CliRunner()
    args = ["replica", "list", SLUG, "--from", file_target.url]
    keyed = runner.invoke(cli, ["--instance", str(rep_instance.path), *args], env={})
    assert keyed.exit_code == 0, keyed.output
    assert f"{NAME} ({SLUG})" in keyed.output
    keyless = runner.invoke(cli, ["--instance", str(tmp_path / "nowhere"), *args], env={})
    assert keyless.exit_code == 0, keyless.output
    assert "(name sealed: needs the master key)" in keyless.output and NAME not in keyless.output
