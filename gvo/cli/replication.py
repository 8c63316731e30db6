"""`gvo replicate`, `replica list`, `restore`, `verify` and `status`; and the
shipping of what any other command changed (`ship_after_writes`)."""

import json
import os
import signal
import threading

import click

from gvo.cli.context import Context, human_size, pass_ctx
from gvo.core import clock
from gvo.core.errors import GvoError
from gvo.mail import config, outbox
from gvo.replication import live, service, wal
from gvo.replication import manifest as mf
from gvo.replication import restore as restoring
from gvo.replication.restore import iso
from gvo.replication.shipper import server_running
from gvo.replication.targets import TargetError
from gvo.storage import keys

# Commands after which the CLI does not ship by itself (they replicate, or only read).
_NO_SHIP_AFTER = {"serve", "replicate", "replica", "verify", "status", "init"}


def _target(ctx: Context, url: str | None):
    resolved = service.resolve_url(ctx.path, url)
    try:
        return service.prepare_target(ctx.path, resolved)
    except ValueError as exc:
        raise GvoError(str(exc)) from None


@click.pass_context
def ship_after_writes(click_ctx: click.Context, *_args, **_kwargs) -> None:
    """After a CLI command touched a school, ship it (unless the running server does)."""
    ctx = click_ctx.obj
    sub = click_ctx.invoked_subcommand
    inst = getattr(ctx, "_instance", None)
    if inst is None or sub in _NO_SHIP_AFTER or os.environ.get("GVO_NO_CLI_SHIP"):
        return
    slugs = sorted(inst.used_schools())
    if not slugs:
        return
    try:
        target = _target(ctx, None)
    except GvoError as exc:
        click.echo(f"Warning: not replicated: {exc}", err=True)
        return
    for slug in slugs:
        if not inst.has_school(slug) or inst.school(slug).moved_to:
            continue  # gone, or moved away (replicate_once would say so)
        done, message = service.replicate_once(inst, target, slug)
        if not done and "running server" not in message:
            click.echo(f"Warning: replication of {message}; the server will catch up when "
                       "it runs", err=True)


@click.command()
@click.argument("slug", required=False)
@click.option("--once", is_flag=True, help="Ship what is committed, checkpoint, and exit.")
@click.option("--to", "url", default=None, help="Replica URL (default as for gvo serve).")
@pass_ctx
def replicate(ctx: Context, slug: str | None, once: bool, url: str | None) -> None:
    """Replicate schools to the replica target (continuously, or --once).

    Continuously, SIGTERM (systemd's stop) or Ctrl+C stops it as cleanly as `gvo serve`:
    every committed change is shipped, the schools are checkpointed and closed and the
    instance's replication lock released, within service.STOP_SECONDS; the exit status is 0.
    """
    inst = ctx.instance()
    target = _target(ctx, url)
    if not once:
        _replicate_until_stopped(inst, target.url)
        return
    slugs = [slug] if slug else [s.slug for s in inst.schools()]
    failed = False
    for s in slugs:
        inst.school(s)
        done, message = service.replicate_once(inst, target, s)
        click.echo(message)
        failed |= not done and "running server" not in message
    if failed:
        raise GvoError(f"replication to {target.url} did not complete")


def _replicate_until_stopped(inst, url: str) -> None:
    """Run the replicator until SIGTERM or SIGINT, then stop it cleanly (the last ship and
    checkpoint of every school, bounded by service.STOP_SECONDS) and close the instance.

    Before, SIGTERM killed the process at once: commits since the last round were left
    unshipped and unchecked, and the next start read the downtime as lag.
    """
    stopping = threading.Event()

    def on_signal(_signum, _frame) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    rep = service.start(None, inst, url)
    watcher = live.Watcher(inst, rep).start()  # `gvo school rekey` and `move` meanwhile
    click.echo(f"Replicating to {url} (Ctrl+C to stop)")
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        watcher.stop()
        rep.stop()
        inst.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Replication stopped: every committed change is shipped.")


@click.group()
def replica() -> None:
    """Look into a replica."""


@replica.command("list")
@click.argument("slug", required=False)
@click.option("--from", "url", default=None, help="Replica URL (default as for gvo serve).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def replica_list(ctx: Context, slug: str | None, url: str | None, as_json: bool) -> None:
    """Generations and restorable time range of a school (or the schools in the replica)."""
    target = _target(ctx, url)
    try:
        if slug is None:
            slugs = mf.list_schools(target)
            click.echo(json.dumps(slugs) if as_json else ("\n".join(slugs) or "No schools."))
            return
        m = restoring.load_manifest(target, slug)
        earliest, latest = restoring.restorable_range(target, m)
    except TargetError as exc:
        raise GvoError(f"cannot read {target.url}: {exc}") from None
    name = _school_name(ctx, m)
    if as_json:
        click.echo(json.dumps({
            "slug": m.slug, "name": name, "key_versions": sorted(m.keys),
            "earliest": iso(earliest), "latest": iso(latest),
            "generations": [dict(g.to_json(), started=iso(g.started_at))
                            for g in m.generations]}, indent=2))
        return
    click.echo(f"{name or '(name sealed: needs the master key)'} ({m.slug}) at {target.url}")
    click.echo(f"Restorable from {iso(earliest)} to {iso(latest)}")
    click.echo(f"{'GENERATION':<30} {'STARTED':<25} {'KEY':>3} {'SNAPSHOT':>9}  REASON")
    for g in m.generations:
        click.echo(f"{g.id:<30} {iso(g.started_at):<25} {g.key_version:>3} "
                   f"{human_size(g.snapshot_size):>9}  {g.reason}")


def _school_name(ctx: Context, m: mf.Manifest) -> str | None:
    """The school's name from its manifest, if this instance's master key opens it."""
    try:
        return m.school_name(keys.load_master_key(ctx.path))
    except (GvoError, mf.ManifestError):
        return None


@click.command("restore")
@click.argument("slug", required=False)
@click.option("--from", "url", default=None, help="Replica URL (default as for gvo serve).")
@click.option("--at", "at_text", default=None, help="Restore the last commit at or before this "
              "ISO-8601 time (UTC if no zone).")
@click.option("--as", "as_slug", default=None, help="Restore under a new slug.")
@click.option("--force", is_flag=True, help="Replace a school that exists (kept aside).")
@click.option("--all", "all_schools", is_flag=True, help="Every school in the replica.")
@pass_ctx
def restore_cmd(ctx: Context, slug: str | None, url: str | None, at_text: str | None,
                as_slug: str | None, force: bool, all_schools: bool) -> None:
    """Restore a school from its replica, checked, into this instance."""
    inst = ctx.instance()
    target = _target(ctx, url)
    at = restoring.parse_time(at_text) if at_text else None
    if all_schools == bool(slug):
        raise GvoError("name one SLUG, or use --all")
    if all_schools and as_slug:
        raise GvoError("--as needs a single SLUG")
    try:
        slugs = mf.list_schools(target) if all_schools else [slug]
    except TargetError as exc:
        raise GvoError(f"cannot read {target.url}: {exc}") from None
    if not slugs:
        raise GvoError(f"no schools in the replica at {target.url}")
    for s in slugs:
        done = restoring.restore(inst, target, s, at=at, as_slug=as_slug, force=force)
        b = done.built
        for problem in b.problems:
            click.echo(f"Warning: {s}: {problem}; stopped at the last good commit.", err=True)
        click.echo(f"Restored {done.slug} to the commit of {iso(b.commit_at)} ({b.commit_label}; "
                   f"generation {b.generation.id}); integrity checks passed.")
        if done.replaced:
            click.echo(f"The previous files of {done.slug} are kept in {done.replaced}")


@click.command("verify")
@click.argument("slug")
@click.option("--from", "url", default=None, help="Replica URL (default as for gvo serve).")
@pass_ctx
def verify_cmd(ctx: Context, slug: str, url: str | None) -> None:
    """Restore the replica to a temporary place and compare it with the live school."""
    from gvo.replication import verify as verifying

    inst = ctx.instance()
    inst.school(slug)
    target = _target(ctx, url)
    service.replicate_once(inst, target, slug)  # skipped when the server replicates it
    result = verifying.verify(inst, target, slug)
    for problem in result.problems:
        click.echo(f"Warning: {problem}", err=True)
    # The replica's lag as `gvo status` has it (0 when every commit is shipped), and how
    # long ago the school last changed: before, "lag" was that age, and contradicted status.
    click.echo(f"Replica commit: {iso(result.commit_at)} (the school's last change "
               f"{result.age_seconds:.1f} s ago)  lag: {result.lag_seconds:.1f} s")
    if not result.same:
        raise GvoError(f"the replica of {slug} differs from the live school in: "
                       + ", ".join(result.differing))
    click.echo(f"OK: the replica of {slug} has the same content as the live school.")


def school_status(inst, target, slug: str, serving: bool | None = None) -> dict:
    """Per-school replication status as `gvo status` reports it (serving: whether a
    running server replicates the instance; found out if not given)."""
    if serving is None:
        serving = server_running(inst.path)
    row = {"slug": slug, "last_shipped_commit": None, "lag_seconds": None,
           "replica_bytes": None, "target_ok": True, "error": None,
           "replicated_by_server": False}
    row["replicated_by_server"] = serving
    try:
        m = mf.load(target, slug)
        row["replica_bytes"] = sum(o.size for o in target.list(f"{slug}/"))
    except (TargetError, mf.ManifestError) as exc:
        row["target_ok"], row["error"] = False, str(exc)
        return row
    if m is None:
        row["error"] = "no replica yet"
        return row
    last = m.shipped.get("last_commit_at")
    row["last_shipped_commit"] = iso(last) if last else None
    if last:
        row["lag_seconds"] = round(wal.live_lag(inst.school_path(slug), last), 3)
    return row



@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--to", "url", default=None, help="Replica URL (default as for gvo serve).")
@pass_ctx
def status_cmd(ctx: Context, as_json: bool, url: str | None) -> None:
    """Per school: replication (last shipped commit, lag, replica size, target health) and
    the mail outbox (queued, oldest's age, failed)."""
    inst = ctx.instance()
    target = _target(ctx, url)
    same = service.same_disk(inst.path, target)
    try:
        target.check()
        health = "ok"
    except TargetError as exc:
        health = f"failing: {exc}"
    serving = server_running(inst.path)
    rows = [school_status(inst, target, s.slug, serving) for s in inst.schools()]
    now = clock.now()
    mail = config.current()
    for r in rows:
        # The outbox is in the school's database: read only when this office sends mail,
        # so without it status opens no school (it stays quick with hundreds).
        r["mail"] = outbox.stats(inst.db(r["slug"])).as_dict(now) if mail.enabled else None
    if as_json:
        click.echo(json.dumps({"target": target.url, "target_health": health,
                               "same_disk": same, "schools": rows,
                               "mail": {"configured": mail.enabled,
                                        "server": mail.smtp.describe() if mail.smtp else None}},
                              indent=2))
        return
    click.echo(f"Replica target: {target.url}  [{health}]"
               + ("  (same disk: not a backup)" if same else ""))
    if not rows:
        click.echo("No schools.")
        return
    click.echo(f"{'SLUG':<24} {'LAST SHIPPED COMMIT':<25} {'LAG':>8} {'SIZE':>9} "
               f"{'MAIL QUEUED':>11} {'OLDEST':>8} {'FAILED':>6}  NOTE")
    for r in rows:
        lag = "-" if r["lag_seconds"] is None else f"{r['lag_seconds']:.1f}s"
        size = "-" if r["replica_bytes"] is None else human_size(r["replica_bytes"])
        note = r["error"] or ("serving" if r["replicated_by_server"] else "")
        m = r["mail"] or {"queued": "-", "oldest_seconds": None, "failed": "-"}
        oldest = "-" if m["oldest_seconds"] is None else f"{m['oldest_seconds']:.0f}s"
        click.echo(f"{r['slug']:<24} {r['last_shipped_commit'] or 'never':<25} {lag:>8} "
                   f"{size:>9} {m['queued']:>11} {oldest:>8} {m['failed']:>6}  {note}")
    click.echo(f"Mail: {'through ' + mail.smtp.describe() if mail.enabled else 'off'}"
               + ("" if mail.enabled else f" (set {config.SMTP_ENV} and {config.FROM_ENV})"))


# The commands of the root group (`gvo school rekey` is gvo/cli/school_live.py's).
COMMANDS = (replicate, replica, restore_cmd, verify_cmd, status_cmd)
