"""Files and folders readable by their owner only: 0600 files, 0700 folders.

Everything GVO keeps (the instance, replica folders, restores, temporary
files) is made with these modes whatever the process's umask, so a umask of
022 does not leave a school's database files readable by other local users.
SQLite gives a database's -wal and -shm files the mode of the database file,
so a database made with `create_file` keeps all three private.
"""

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def tighten(path: Path | str, mode: int) -> None:
    """Drop permission bits beyond mode from an existing path (no error if it is gone).

    For files and folders made before GVO set modes itself; a path owned by another
    user (whose mode we may not change) is left as it is.
    """
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if current & ~mode:
        with contextlib.suppress(PermissionError):
            os.chmod(path, current & mode)


def private_dir(path: Path | str) -> Path:
    """Make a folder (0700) if it is missing, and its missing parents; returns it.

    An existing folder is tightened to 0700; existing parents are left alone (they
    may be the operator's, e.g. /srv or a NAS mount).
    """
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):
            p.mkdir(mode=DIR_MODE)
        tighten(p, DIR_MODE)
    tighten(path, DIR_MODE)
    return path


def create_file(path: Path | str) -> None:
    """Make an empty file (0600) if it is missing; an existing one is tightened to 0600."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    tighten(path, FILE_MODE)


def open_private(path: Path | str, mode: str = "wb"):
    """open() for writing a file that is created 0600 (and made 0600 if it existed)."""
    flags = {"wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
             "w+b": os.O_RDWR | os.O_CREAT | os.O_TRUNC,
             "a+": os.O_RDWR | os.O_CREAT | os.O_APPEND,
             "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC}[mode]
    fd = os.open(path, flags, FILE_MODE)
    try:
        with contextlib.suppress(PermissionError):  # another user's file: leave its mode
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise
