"""Images (video frames, photos) worked on ahead, on threads, and handed back in order: while the
caller uses one image's result, the next are read and recognised (OpenCV and ONNX Runtime release
the GIL)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# At most this many pixels of images are read ahead and held in flight (about 24 MB of RGB): frames
# of a 4K video or larger go one at a time, as without threads, within the web server's memory budget.
AHEAD_PIXELS = 8_000_000
MAX_WORKERS = 4  # threads for one stream: each image in flight holds its own activations (~20 MB at 640x480)


def workers_for(pixels: int) -> int:
    """Threads for images of about this many pixels: one per core (at most MAX_WORKERS), fewer where
    AHEAD_PIXELS holds fewer such images, 0 where it holds one alone."""
    room = AHEAD_PIXELS // max(1, pixels)
    return max(0, min(_cores(), MAX_WORKERS, room - 1))


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_ahead(
    frames: Iterable[Item],
    work: Callable[[int, Item], Result],
    workers: int,
    pixels: Callable[[Item], int] = lambda frame: frame.image.shape[0] * frame.image.shape[1],
) -> Iterator[tuple[Item, Result]]:
    """Each frame with ``work(position, frame)``, in the frames' order, the same as a plain loop gives.
    A frame is any item of ``pixels`` pixels (a video Frame by default; a photo read from its file).

    With workers > 0, the work runs on that many threads, up to one frame more than workers queued
    (and at most AHEAD_PIXELS held), while this thread reads the next frames; with 0 it runs here,
    one frame at a time. A failing work raises at its frame's turn. A source that fails (a frame over
    the size limit) raises after the frames read before it; one that ends early ends the frames.
    Stopping early (an error, Ctrl-C, closing this iterator) waits for the frames being worked on.
    Each frame's image must be an array of its own, not a buffer the source fills again.
    """
    if workers < 1:
        for position, frame in enumerate(frames):
            yield frame, work(position, frame)
        return
    source = enumerate(frames)
    pending: deque[tuple[Item, int, Future]] = deque()
    failure, ended = None, False
    with ThreadPoolExecutor(workers, thread_name_prefix="mien-frames") as pool:
        try:
            while True:
                while not ended and failure is None and _room(pending, workers):
                    try:
                        position, frame = next(source)
                    except StopIteration:
                        ended = True
                    except Exception as err:  # the source's: raised once the frames before it are out
                        failure = err
                    else:
                        pending.append((frame, pixels(frame), pool.submit(work, position, frame)))
                if not pending:
                    break
                frame, _, result = pending.popleft()
                yield frame, result.result()
        finally:
            for _, _, result in pending:
                result.cancel()
    if failure is not None:
        raise failure


def _room(pending: deque[tuple[Item, int, Future]], workers: int) -> bool:
    """Whether another frame may be read: every worker busy and one more queued is enough, and the
    frames held may not pass AHEAD_PIXELS (the newest frame's size stands for the next one's)."""
    if not pending:
        return True
    held = sum(pixels for _, pixels, _ in pending)
    return len(pending) <= workers and held + pending[-1][1] <= AHEAD_PIXELS
