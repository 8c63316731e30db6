"""`gvo status --json` does little per school, so it answers at once for hundreds (issue 11:
"well under a second" with 500). Counted, never timed: it opens no school's database (the
lag comes from the WAL's size and time), and reads each school's manifest once and lists
its replica folder once.
"""

import json

import sqlcipher3
from conftest import gvo_command

from gvo.replication import service
from gvo.replication.targets import FileTarget

from .conftest import SLUG, add_schools, put

SCHOOLS = 12


def test_status_opens_no_school_and_reads_each_replica_once(rep_instance, tmp_path,
                                                            monkeypatch):
    slugs = [SLUG] + [f"school-{i:02d}" for i in range(1, SCHOOLS)]
    add_schools(rep_instance, SLUG, slugs[1:])
    replica = tmp_path / "replica"
    replica.mkdir()
    target = FileTarget(replica)
    for slug in slugs:
        assert service.replicate_once(rep_instance, target, slug)[0]
    put(rep_instance, "after", "the last ship")  # alpha: a commit not shipped yet
    opened, gets, lists = [], [], []
    real_connect, real_get, real_list = sqlcipher3.connect, FileTarget.get, FileTarget.list

    def connect(path, *a, **kw):
        opened.append(str(path))
        return real_connect(path, *a, **kw)

    def get(self, key):
        gets.append(key)
        return real_get(self, key)

    def listing(self, prefix):
        lists.append(prefix)
        return real_list(self, prefix)

    monkeypatch.setattr(sqlcipher3, "connect", connect)
    monkeypatch.setattr(FileTarget, "get", get)
    monkeypatch.setattr(FileTarget, "list", listing)
    result = gvo_command("--instance", str(rep_instance.path), "status", "--json", "--to",
                         replica.as_uri())
    assert result.exit_code == 0, result.output
    rows = {r["slug"]: r for r in json.loads(result.stdout)["schools"]}
    assert sorted(rows) == slugs
    assert rows[SLUG]["lag_seconds"] > 0 and rows["school-01"]["lag_seconds"] == 0
    assert all(r["replica_bytes"] > 0 and r["error"] is None for r in rows.values())
    schools_dir = str(rep_instance.path / "schools")
    assert [p for p in opened if p.startswith(schools_dir)] == []  # only the control database
    assert sorted(k for k in gets if k.endswith("manifest.json")) == sorted(
        f"{s}/manifest.json" for s in slugs), gets
    assert sorted(lists) == sorted(f"{s}/" for s in slugs)


def test_a_folder_listing_skips_temporary_files_and_keeps_exact_prefixes(tmp_path):
    (tmp_path / "replica").mkdir()
    target = FileTarget(tmp_path / "replica")
    for key in ("alpha/manifest.json", "alpha/g1/seg-1", "alpha/g1/seg-2", "alpha2/manifest.json",
                "beta/g1/seg-1"):
        target.put(key, b"x" * len(key))
    (tmp_path / "replica" / "alpha" / "g1" / ".tmp-123").write_bytes(b"partial")
    assert [(o.key, o.size) for o in target.list("alpha/")] == [
        ("alpha/g1/seg-1", 14), ("alpha/g1/seg-2", 14), ("alpha/manifest.json", 19)]
    assert [o.key for o in target.list("alpha")] == [
        "alpha/g1/seg-1", "alpha/g1/seg-2", "alpha/manifest.json", "alpha2/manifest.json"]
    assert [o.key for o in target.list("alpha/g1/seg-")] == ["alpha/g1/seg-1", "alpha/g1/seg-2"]
    assert [o.key for o in target.list("gamma/")] == []
    assert len(target.list("")) == 5
