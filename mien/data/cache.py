"""Decode FER2013 and FER+ once: keep the decoded arrays in a cache that is rebuilt when the source
changes.

The cache key is a fingerprint of the source (every file's relative path, size and modification
time, or the CSV's; FER+'s label.csv files and the fer2013.csv beside fer2013new.csv too), so
adding, removing or editing an image or a vote makes a new cache entry.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from mien.atomic import atomic_path
from mien.data.fer2013 import FaceSet, Skipped, read_csv, read_folder
from mien.data.ferplus import is_ferplus, read_ferplus
from mien.data.framing import RAFDB_EYES
from mien.data.rafdb import FRAMING, is_rafdb, rafdb_files, read_rafdb
from mien.errors import MienError
from mien.vision.io import image_files_under

CACHE_FORMAT = "mien-fer2013-cache/3"  # 2: FER+ too (class names, votes, FER2013 labels); 3: RAF-DB


def cache_dir() -> Path:
    """Where decoded data sets live: $MIEN_CACHE_DIR, else ~/.cache/mien."""
    return Path(os.environ.get("MIEN_CACHE_DIR") or Path.home() / ".cache" / "mien")


def load_fer2013(source: str | Path, use_cache: bool = True) -> FaceSet:
    """Load FER2013 from a folder or a fer2013.csv, from the cache when the source is unchanged; or
    FER+ (its folders, or fer2013new.csv beside fer2013.csv), with each face's votes; or RAF-DB
    (either layout), framed as mien.data.rafdb.FRAMING says."""
    source = Path(source).expanduser()
    if not source.exists():
        raise MienError(f"data not found: {source} (give the FER2013 folder or fer2013.csv)")
    read = (
        read_ferplus if is_ferplus(source)
        else read_rafdb if is_rafdb(source)
        else read_csv if source.is_file()
        else read_folder
    )  # fmt: skip
    if not use_cache:
        return read(source)
    # One entry per source: <digest of the path>-<fingerprint of the content>.
    path_key = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    cache_path = cache_dir() / f"fer2013-{path_key}-{fingerprint(source)}.npz"
    if cache_path.is_file():
        try:
            return _read_cache(cache_path)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is rebuilt below
    faces = read(source)
    for stale in cache_path.parent.glob(f"fer2013-{path_key}-*.npz"):
        stale.unlink(missing_ok=True)  # the source changed: its older entries are dead weight
    _write_cache(cache_path, faces)
    return faces


def fingerprint(source: Path) -> str:
    """A digest that changes whenever any file of the source changes."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\n{source.resolve()}\n".encode())
    if is_rafdb(source):  # another framing makes other faces from the same files
        digest.update(f"{FRAMING} {RAFDB_EYES}\n".encode())
    for path in _files_behind(source):
        stat = path.stat()
        name = path.relative_to(source.parent if source.is_file() else source)
        digest.update(f"{name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def _files_behind(source: Path) -> list[Path]:
    """Every file whose content the decoded faces depend on."""
    if source.is_file():
        pixels = source.with_name("fer2013.csv")
        return [source, pixels] if is_ferplus(source) and pixels.is_file() else [source]
    if is_rafdb(source):
        return rafdb_files(source)
    labels = sorted(source.glob("*/label.csv")) if is_ferplus(source) else []
    return [*image_files_under(source), *labels]


def _read_cache(path: Path) -> FaceSet:
    with np.load(path, allow_pickle=False) as cached:
        skipped = tuple(Skipped(s, r) for s, r in zip(cached["skipped_sources"], cached["skipped_reasons"]))
        optional = {name: cached[name] for name in ("votes", "fer2013_labels") if name in cached}
        class_names = tuple(str(name) for name in cached["class_names"])
        return FaceSet(cached["images"], cached["labels"], cached["splits"], cached["sources"], skipped,
                       class_names=class_names, **optional)  # fmt: skip


def _write_cache(path: Path, faces: FaceSet) -> None:
    with atomic_path(path) as tmp:
        np.savez(
            tmp,
            images=faces.images,
            labels=faces.labels,
            splits=faces.splits,
            sources=faces.sources,
            skipped_sources=np.array([s.source for s in faces.skipped], dtype=str),
            skipped_reasons=np.array([s.reason for s in faces.skipped], dtype=str),
            class_names=np.array(faces.class_names, dtype=str),
            **{
                name: value
                for name in ("votes", "fer2013_labels")
                if (value := getattr(faces, name)) is not None
            },
        )
