"""Bound the memory that photo and video requests hold: how many decode and classify at once, and how
many pixels they hold between them.

A request reserves its image's pixel count (a video's, its frame size weighed by VIDEO_PIXEL_COST),
read from the file's header, before any pixel is decoded; it waits briefly for room and is otherwise
refused (the app answers 503 with Retry-After). The reservation ends in a ``finally``, so a request
that fails gives its room back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from PIL import Image

TRIM_AFTER_PIXELS = 4_000_000  # return freed memory to the system after requests this large


class Busy(Exception):
    """No room within the wait: the server is at its limit of requests or pixels in flight."""


class PixelBudget:
    """At most ``max_requests`` reservations at once, holding at most ``max_pixels`` between them.

    An image larger than the whole budget counts as the whole budget, so it runs alone instead of
    never.
    """

    def __init__(self, max_requests: int, max_pixels: int, wait_seconds: float):
        self.max_requests = max_requests
        self.max_pixels = max_pixels
        self.wait_seconds = wait_seconds
        self.requests = 0  # reservations held now
        self.pixels = 0  # pixels they hold
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        """Hold room for one request of ``pixels`` pixels for the block; raise Busy if none frees up
        within the wait."""
        pixels = min(pixels, self.max_pixels)
        with self._changed:
            if not self._changed.wait_for(lambda: self._fits(pixels), timeout=self.wait_seconds):
                raise Busy(f"busy: {self.requests} requests hold {self.pixels:,} pixels; try again shortly")
            self.requests += 1
            self.pixels += pixels
        try:
            yield
        finally:
            if pixels >= TRIM_AFTER_PIXELS:
                release_free_memory()  # before the room is given back: the next photo starts from it
            with self._changed:
                self.requests -= 1
                self.pixels -= pixels
                self._changed.notify_all()

    def _fits(self, pixels: int) -> bool:
        return self.requests < self.max_requests and self.pixels + pixels <= self.max_pixels


# A video job decodes and classifies one frame at a time, but holds more for each of its pixels than
# a photo does: measured on 7680x4320 MJPEG, about 14 bytes a frame pixel (the decoder's buffers,
# the frame, detection's resized copies) against a photo's 10. So it reserves 1.5 pixels of the
# budget for each: an 8K video takes the whole default budget and runs alone.
VIDEO_PIXEL_COST = 1.5


def video_pixels(width: int, height: int) -> int:
    """The room in a PixelBudget that a video job with frames of width x height reserves."""
    return math.ceil(width * height * VIDEO_PIXEL_COST)


def announced_pixels(file: BinaryIO) -> int:
    """Width x height as the image's header states it, without decoding; 0 where the header cannot be
    read (decoding then says what is wrong). The file is left at its start."""
    try:
        with Image.open(file) as image:  # lazy: reads the header only
            width, height = image.size
            return width * height
    except Exception:  # any unreadable header: decode_image reports it with its own message
        return 0
    finally:
        file.seek(0)


def _load_malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to trim
        return None


_malloc_trim = _load_malloc_trim()


def release_free_memory() -> None:
    """Hand memory that freed arrays leave in malloc's arenas back to the system (glibc only).

    Pillow allocates a large image in 16 MB blocks, which glibc keeps in its per-thread arenas
    after they are freed: in benchmarks/web_load.py --burst the server peaked at 2.5 GB and kept
    1.7 GB without this, 1.4 GB and 0.6 GB with it (measured before decoding copied a photo less).
    Elsewhere the budget still bounds the requests but not what the allocator keeps.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)
