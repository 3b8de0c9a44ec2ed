"""Write files so that readers see the old version or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class PendingFile:
    """A temporary file beside ``path`` for output written across many calls (a stream's sink):
    ``commit()`` moves it onto ``path``, ``discard()`` removes it; either ends it."""

    def __init__(self, path: str | Path, suffix: str | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        suffix = self.path.suffix if suffix is None else suffix  # some writers choose a format by it
        handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=suffix)
        os.close(handle)
        os.chmod(name, 0o666 & ~_umask())  # as open() would create it, not mkstemp's owner-only mode
        self.tmp = Path(name)

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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
