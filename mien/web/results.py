"""Video results on disk: one folder per upload, named by a random id the server chose. Only the
files the server wrote can be fetched, by fixed names, and only the newest few are kept."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

JOB_ID = re.compile(r"[0-9a-f]{32}")
RESULT_FILES = {"annotated.webm": "video/webm", "timeline.png": "image/png", "faces.csv": "text/csv"}


class VideoResults:
    def __init__(self, root: Path | None, keep: int):
        self._temporary = None
        if root is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="mien-web-")  # removed with this object
            root = Path(self._temporary.name)
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self._lock = threading.Lock()
        # Oldest first: folders already there (by modification time), then each new one. Creation
        # order is kept here because folders made within one clock tick share a modification time.
        found = [p for p in self.root.iterdir() if p.is_dir() and JOB_ID.fullmatch(p.name)]
        self._jobs = sorted(found, key=lambda p: p.stat().st_mtime_ns)

    def new_job(self) -> tuple[str, Path]:
        """A fresh folder for one upload's results, and its id."""
        job = secrets.token_hex(16)
        folder = self.root / job
        folder.mkdir()
        with self._lock:
            self._jobs.append(folder)
            while len(self._jobs) > self.keep:
                shutil.rmtree(self._jobs.pop(0), ignore_errors=True)
        return job, folder

    def find(self, job: str, name: str) -> Path | None:
        """A result file, or None: ids and names are checked against what the server makes."""
        if not JOB_ID.fullmatch(job) or name not in RESULT_FILES:
            return None
        path = self.root / job / name
        return path if path.is_file() else None
