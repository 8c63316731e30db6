"""No plaintext: a marker written through the app's services appears in no replica object."""

import secrets

from gvo import people
from gvo.people import Actor
from gvo.replication.shipper import SchoolShipper

from .conftest import SLUG


def _write_marker(inst) -> bytes:
    marker = "PLAINTEXT-MARKER-" + secrets.token_hex(8)
    people.add_user(inst.db(SLUG), Actor.operator(), email=f"{marker.lower()}@example.org",
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


def test_marker_is_in_no_s3_object(rep_instance, s3_target):
    marker = _replicate(rep_instance, s3_target)
    objs = s3_target.list("")
    assert len(objs) >= 4
    for obj in objs:
        data = s3_target.get(obj.key)
        assert marker not in data and marker.lower() not in data, obj.key
