"""Image files read one by one, or in batches one batch ahead on a thread, so reading overlaps the
model."""

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


def read_each(paths: Iterable[str | Path], max_pixels: int) -> Iterator[ReadImage]:
    """Each file read in turn; a file that cannot be read carries its error."""
    for path in paths:
        try:
            yield ReadImage(str(path), read_image(path, max_pixels))
        except MienError as err:
            yield ReadImage(str(path), None, str(err))


def image_pixels(item: ReadImage) -> int:
    """The pixels a read image holds (none for a file that could not be read)."""
    return 0 if item.image is None else item.image.shape[0] * item.image.shape[1]


def _read_all(paths: list[Path], max_pixels: int) -> list[ReadImage]:
    return list(read_each(paths, max_pixels))


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
