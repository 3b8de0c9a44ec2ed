"""Image files read in batches, one batch ahead on a thread, so reading overlaps the model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from mien.errors import MienError
from mien.vision.io import read_image


@dataclass(frozen=True)
class ReadImage:
    path: str
    image: np.ndarray | None  # (H, W, 3) RGB uint8, or None when the file could not be read
    error: str | None = None


def read_ahead(paths: Iterable[str | Path], batch_size: int, max_pixels: int) -> Iterator[list[ReadImage]]:
    """Batches of read images, in input order: while the caller works on one batch, the next is
    read (never more than one ahead). A file that cannot be read carries its error."""
    chunks = _chunks(paths, batch_size)
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = None
        for chunk in chunks:
            following = reader.submit(_read_all, chunk, max_pixels)
            if pending is not None:
                yield pending.result()
            pending = following
        if pending is not None:
            yield pending.result()


def _read_all(paths: list[Path], max_pixels: int) -> list[ReadImage]:
    batch = []
    for path in paths:
        try:
            batch.append(ReadImage(str(path), read_image(path, max_pixels)))
        except MienError as err:
            batch.append(ReadImage(str(path), None, str(err)))
    return batch


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
