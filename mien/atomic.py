"""Write files so that readers see the old version or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mien.errors import MienError


class PendingFile:
    """A temporary file beside ``path`` for output written across many calls (a stream's sink):
    ``commit()`` moves it onto ``path``, ``discard()`` removes it; either ends it."""

    def __init__(self, path: str | Path, suffix: str | None = None):
        self.path = check_writable(path)  # a folder in the way fails now, not at commit() after the work
        self.path.parent.mkdir(parents=True, exist_ok=True)
        suffix = self.path.suffix if suffix is None else suffix  # some writers choose a format by it
        handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=suffix)
        self.tmp = Path(name)
        try:
            os.close(handle)
            os.chmod(name, 0o666 & ~_umask())  # as open() would create it, not mkstemp's owner-only mode
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        try:
            os.replace(self.tmp, self.path)
        finally:
            self.discard()  # a move that failed leaves no temporary file behind

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; moved onto it when the block ends without error."""
    pending = PendingFile(path)
    try:
        yield pending.tmp
        pending.commit()
    finally:
        pending.discard()


def check_writable(path: str | Path, folder: bool = False) -> Path:
    """``path``, once it is clear that a file (or, with ``folder``, a folder of files) can be written
    there: a folder or file in the way, or a folder we may not write in, is a one-line MienError
    before any work instead of a traceback after it. Nothing is created."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise MienError(f"{path} is a file; give a folder to write into")
    if not folder and path.is_dir():
        raise MienError(f"{path} is a folder; give the name of a file to write")
    start = path if folder else path.parent
    existing = next((p for p in [start, *start.parents] if p.exists() or p.is_symlink()), start)
    if not existing.is_dir():
        raise MienError(f"{path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise MienError(f"{path}: cannot write in {existing} (permission denied)")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
