"""A new data key for a school (PRAGMA rekey), recorded as a new key version."""

from gvo.core.errors import GvoError
from gvo.lifecycle import operator_log
from gvo.storage import files, keys
from gvo.storage.sqlcipher import connect, key_pragma


def rekey_school(instance, slug: str) -> int:
    """Re-encrypt the school under a fresh key; returns the new key version.

    The new key is written (wrapped) beside the database before the rekey, so
    a crash between the rekey and the control database update loses nothing. The
    operator log records it (gvo.lifecycle.operator_log) in that update's transaction.
    """
    record = instance.school(slug)
    old_key = instance.school_key(slug)
    new_key = keys.new_key()
    version = record.key_version + 1
    wrapped = keys.wrap_school_key(instance.master_key, slug, new_key)
    pending = instance.school_dir(slug) / f"rekey-pending-v{version}.key"
    with files.open_private(pending, "wb") as f:
        f.write(wrapped)
    instance.close_school(slug)  # other connections would fail once the key changes
    conn = connect(instance.school_path(slug), old_key)
    try:
        conn.execute(key_pragma(new_key).replace("PRAGMA key", "PRAGMA rekey", 1))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    check = connect(instance.school_path(slug), new_key)
    try:
        if check.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise GvoError(f"school {slug}: the database fails its check after the rekey")
    finally:
        check.close()
    instance.register_school(slug, record.name, wrapped, version, also=lambda control:
                             operator_log.record(control, "school.rekey", slug,
                                                 key_version=version))
    pending.unlink()
    return version
