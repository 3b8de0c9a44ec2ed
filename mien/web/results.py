"""Video results on disk: one folder per upload, named by a random id the server chose. Only the
files the server wrote can be fetched, by fixed names.

A job's folder is never removed while the job runs; a rejected upload's folder is removed at once
and takes no room from anyone. Finished results are kept for ``keep_seconds`` and, when they hold
more than ``max_bytes`` between them, the oldest finished go first. Without a folder of its own
the server makes a temporary one named with its process id, removes it on a clean stop (``close``),
and at start removes the temporary folders of earlier servers that are no longer running.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

JOB_ID = re.compile(r"[0-9a-f]{32}")
RESULT_FILES = {"annotated.webm": "video/webm", "timeline.png": "image/png", "faces.csv": "text/csv"}
TEMPORARY_PREFIX = "mien-web-"  # then the server's process id, a dash and a random part


class VideoResults:
    def __init__(
        self,
        root: Path | None,
        keep_seconds: float = 600.0,
        max_bytes: int = 2 * 1024**3,
        clock: Callable[[], float] = time.time,
    ):
        self._temporary = root is None
        if root is None:
            remove_dead_servers_folders(Path(tempfile.gettempdir()))
            root = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-"))
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep_seconds, self.max_bytes, self._clock = keep_seconds, max_bytes, clock
        self._lock = threading.Lock()
        self._running: set[str] = set()
        # finished job -> when it finished; folders already there count as finished when last written
        self._finished = {
            p.name: p.stat().st_mtime for p in self.root.iterdir() if p.is_dir() and JOB_ID.fullmatch(p.name)
        }

    def new_job(self) -> tuple[str, Path]:
        """A fresh folder for one upload's results, and its id; nothing is removed for it."""
        job = secrets.token_hex(16)
        folder = self.root / job
        folder.mkdir()
        with self._lock:
            self._running.add(job)
        return job, folder

    def finish(self, job: str) -> None:
        """The job's results are complete: from now they are kept for keep_seconds, within max_bytes."""
        with self._lock:
            self._running.discard(job)
            self._finished[job] = self._clock()
            self._prune()

    def discard(self, job: str) -> None:
        """A rejected upload: its folder goes now, and nothing else does."""
        with self._lock:
            self._running.discard(job)
            self._finished.pop(job, None)
        shutil.rmtree(self.root / job, ignore_errors=True)

    def find(self, job: str, name: str) -> Path | None:
        """A finished result file, or None: ids and names are checked against what the server makes."""
        if not JOB_ID.fullmatch(job) or name not in RESULT_FILES or job not in self._finished:
            return None
        path = self.root / job / name
        return path if path.is_file() else None

    def close(self) -> None:
        """On a clean stop: the server's temporary folder goes with it (a folder it was given stays)."""
        if self._temporary:
            shutil.rmtree(self.root, ignore_errors=True)

    def _prune(self) -> None:
        """Expired finished results, then the oldest finished while all results exceed max_bytes."""
        now = self._clock()
        for job in [job for job, done in self._finished.items() if now - done > self.keep_seconds]:
            self._remove(job)
        total = sum(_bytes_under(self.root / job) for job in [*self._running, *self._finished])
        for job in sorted(self._finished, key=self._finished.get):
            if total <= self.max_bytes:
                break
            total -= _bytes_under(self.root / job)
            self._remove(job)

    def _remove(self, job: str) -> None:
        del self._finished[job]
        shutil.rmtree(self.root / job, ignore_errors=True)


def remove_dead_servers_folders(parent: Path) -> None:
    """Remove the temporary results folders of servers that are no longer running (their process id
    is gone); a running server's folder, another port's say, stays."""
    for folder in parent.glob(f"{TEMPORARY_PREFIX}*"):
        pid = folder.name.removeprefix(TEMPORARY_PREFIX).split("-")[0]
        if folder.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def _bytes_under(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*") if path.is_file())
