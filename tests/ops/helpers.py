"""What the export and delete tests share: an instance made with `gvo`, schools in it."""

from pathlib import Path

from conftest import gvo_command


def gvo(instance: Path, replica: str, *args: str, input_text: str | None = None):
    """`gvo --instance INSTANCE ARGS` in this process, replicating to `replica`."""
    return gvo_command("--instance", str(instance), *args, input_text=input_text,
                       GVO_REPLICA_URL=replica)


def made_instance(tmp_path: Path, replica: str, *slugs: str) -> Path:
    """A new instance with these schools, each replicated once to `replica`."""
    path = tmp_path / "inst"
    assert gvo(path, replica, "init").exit_code == 0
    for slug in slugs:
        made = gvo(path, replica, "school", "create", slug, "--name", f"School {slug}")
        assert made.exit_code == 0, made.output
    assert gvo(path, replica, "replicate", "--once").exit_code == 0
    return path
