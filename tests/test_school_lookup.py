"""The school of each request comes from records kept in memory (Instance.school), and
a change to the instance's schools is seen by the very next request: a school made or
restored by another process answers at once, one removed stops answering at once, and
a name changed in this process shows at once. Each case first has the app look the
school up (so its record is held), then changes the control database, then asks again.
"""

import subprocess
import sys

from conftest import BASE, subprocess_env

from gvo.replication.shipper import SchoolShipper
from gvo.replication.targets import FileTarget
from gvo.storage.instance import Instance


def gvo_process(instance, *args: str) -> subprocess.CompletedProcess:
    """`gvo --instance <instance> ARGS` as a process of its own (as an operator runs it
    beside `gvo serve`)."""
    return subprocess.run([sys.executable, "-m", "gvo", "--instance", str(instance.path), *args],
                          env=subprocess_env(), capture_output=True, text=True, timeout=300)


def sign_in_page(client, slug: str):
    return client.get(f"/{slug}/login", base_url=BASE)


def assert_answers_as(client, slug: str, name: str) -> None:
    """The school's sign-in page answers, under the school's name."""
    page = sign_in_page(client, slug)
    assert page.status_code == 200
    assert name in page.get_data(as_text=True)


def test_a_school_made_by_another_process_answers_at_once(instance, app):
    instance.create_school("alpha", "Alpha Primary")
    client = app.test_client()
    assert sign_in_page(client, "alpha").status_code == 200
    assert sign_in_page(client, "beta").status_code == 404

    made = gvo_process(instance, "school", "create", "beta", "--name", "Beta Academy")
    assert made.returncode == 0, made.stderr

    assert_answers_as(client, "beta", "Beta Academy")


def test_a_school_removed_by_another_process_stops_answering_at_once(instance, app):
    instance.create_school("alpha", "Alpha Primary")
    instance.create_school("beta", "Beta Academy")
    client = app.test_client()
    for _ in range(3):  # looked up, and held, many times
        assert sign_in_page(client, "alpha").status_code == 200
        assert sign_in_page(client, "beta").status_code == 200

    # GVO has no command that removes a school; an operator removing its record by hand
    # (its files left where they are) is the way one goes.
    removed = subprocess.run(
        [sys.executable, "-c",
         "import sys; from gvo.storage.instance import Instance;"
         "inst = Instance.open(sys.argv[1], environ={});"
         "inst.control().execute(\"DELETE FROM schools WHERE slug = 'alpha'\");"
         "inst.close()", str(instance.path)],
        env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, removed.stderr

    assert sign_in_page(client, "alpha").status_code == 404
    assert client.get("/alpha/", base_url=BASE).status_code == 404
    assert sign_in_page(client, "beta").status_code == 200


def test_a_school_restored_by_another_process_answers_at_once(instance, app, tmp_path):
    instance.create_school("alpha", "Alpha Primary")
    target = FileTarget(tmp_path / "replica")
    (tmp_path / "replica").mkdir()
    shipper = SchoolShipper(instance, "alpha", target)
    shipper.open()
    try:
        assert shipper.step()
    finally:
        shipper.close()
    client = app.test_client()
    assert sign_in_page(client, "gamma").status_code == 404

    restored = gvo_process(instance, "restore", "alpha", "--as", "gamma", "--from", target.url)
    assert restored.returncode == 0, restored.stderr

    assert_answers_as(client, "gamma", "Alpha Primary")


def test_a_school_renamed_in_this_process_shows_its_new_name_at_once(instance, app):
    # The same connection that reads the records writes the change here, so SQLite's
    # data_version does not move for it: the instance notes its own changes.
    instance.create_school("alpha", "Alpha Primary")
    client = app.test_client()
    assert "Alpha Primary" in sign_in_page(client, "alpha").get_data(as_text=True)

    wrapped, version = instance.wrapped_school_key("alpha")
    instance.register_school("alpha", "Alpha Federation", wrapped, version)

    page = sign_in_page(client, "alpha").get_data(as_text=True)
    assert "Alpha Federation" in page and "Alpha Primary" not in page


def test_a_school_removed_while_the_instance_was_closed_is_gone_when_it_is_used_again(instance):
    # A connection opened after `close` counts its data_version afresh: the records held
    # from before must not be trusted by it.
    instance.create_school("alpha", "Alpha Primary")
    assert instance.has_school("alpha")
    instance.close()
    other = Instance.open(instance.path, environ={})
    other.control().execute("DELETE FROM schools WHERE slug = 'alpha'")
    other.close()

    assert not instance.has_school("alpha")
