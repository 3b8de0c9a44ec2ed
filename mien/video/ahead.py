"""Frames worked on ahead, on threads, and handed back in order: while the caller uses one frame's
result, the next frames are decoded and recognised (OpenCV and ONNX Runtime release the GIL)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from mien.video.sources import Frame

Result = TypeVar("Result")

# At most this many pixels of frames are read ahead and held in flight (about 24 MB of RGB): frames
# of a 4K video or larger go one at a time, as without threads, within the web server's memory budget.
AHEAD_PIXELS = 8_000_000


def run_ahead(
    frames: Iterable[Frame], work: Callable[[int, Frame], Result], workers: int
) -> Iterator[tuple[Frame, Result]]:
    """Each frame with ``work(position, frame)``, in the frames' order, the same as a plain loop gives.

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
    pending: deque[tuple[Frame, Future]] = deque()
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
                        pending.append((frame, pool.submit(work, position, frame)))
                if not pending:
                    break
                frame, result = pending.popleft()
                yield frame, result.result()
        finally:
            for _, result in pending:
                result.cancel()
    if failure is not None:
        raise failure


def _room(pending: deque[tuple[Frame, Future]], workers: int) -> bool:
    """Whether another frame may be read: every worker busy and one more queued is enough, and the
    frames held may not pass AHEAD_PIXELS (the newest frame's size stands for the next one's)."""
    if not pending:
        return True
    pixels = sum(frame.image.shape[0] * frame.image.shape[1] for frame, _ in pending)
    newest = pending[-1][0].image
    return len(pending) <= workers and pixels + newest.shape[0] * newest.shape[1] <= AHEAD_PIXELS
