"""The install's private directory (`instance/`): owner-only, and the secrets generated into it.

Without `SECRET_KEY` (or `DATA_KEYS`) in the environment, the first process of an install
generates a random value and stores it under `instance/` (mode 0600); every later process of
the same install — the web workers, the Celery workers, beat, the command line — reads the same
file. Creation is atomic (written to a temporary file, then hard-linked into place, which fails if
another process got there first), so processes starting together agree on one value.
A multi-host deployment sets the values in the environment instead (docs/security.md).
"""
from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure_private_dir(path: str | os.PathLike) -> Path:
    """Creates `path` if missing and makes it readable by its owner only."""
    directory = Path(path)
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _restrict(directory, DIR_MODE)
    return directory


def ensure_private_file(path: str | os.PathLike) -> Path:
    """Creates `path` empty (mode 0600) if missing, else narrows an existing file of ours to 0600.

    SQLite gives its -wal and -shm files the mode of the database file, so creating the database
    file owner-only first keeps all three owner-only."""
    file = Path(path)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _restrict(file, FILE_MODE)
    for suffix in ("-wal", "-shm", "-journal"):
        sibling = file.with_name(file.name + suffix)
        if sibling.exists():
            _restrict(sibling, FILE_MODE)
    return file


def _restrict(path: Path, mode: int) -> None:
    """chmod to `mode` when the path is ours and wider than that (someone else's file is left alone)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~mode:
        os.chmod(path, mode)


def read_or_create(path: str | os.PathLike, generate: Callable[[], str]) -> str:
    """The content of the owner-only file `path`; generated once (atomically) when it does not exist."""
    file = Path(path)
    ensure_private_dir(file.parent)
    if not file.exists():
        temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(generate())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs counts
                os.link(temporary, file)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    _restrict(file, FILE_MODE)
    value = file.read_text(encoding="utf-8").strip()
    if not value:
        raise RuntimeError(f"{file} is empty: delete it to have a new value generated")
    return value


def write_private(path: str | os.PathLike, content: str) -> None:
    """Replaces the owner-only file `path` atomically (a reader sees the old or the new content)."""
    file = Path(path)
    ensure_private_dir(file.parent)
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, file)
