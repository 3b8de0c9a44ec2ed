"""What the web app allows: upload sizes, image sizes, video lengths and how many results it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mien.vision.io import DEFAULT_MAX_PIXELS

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class WebSettings:
    max_upload_bytes: int = 20 * MEGABYTE  # a larger upload is answered 413 before it is read
    max_pixels: int = DEFAULT_MAX_PIXELS  # the same image-size limit as the command line
    max_concurrent: int = 2  # photo requests decoding or classifying at once; the rest wait
    # Pixels those requests hold between them: decoding peaks near 10 bytes a pixel (Pillow's image
    # and the array made from it), so 50 MP in flight is about 500 MB besides the model.
    max_pixels_in_flight: int = DEFAULT_MAX_PIXELS
    busy_wait_seconds: float = 10.0  # how long a request waits for room before its 503
    max_video_seconds: float = 120.0  # one request must not hold the model for long
    # A video's frames, checked from its header before any is decoded (7680x4320: 8K). A video job
    # holds the photo budget too, 1.5 pixels of it for each pixel of a frame (mien.web.budget).
    max_video_frame_pixels: int = 7680 * 4320
    video_result_side: int = 1280  # the annotated video's longer side; the CSV keeps the upload's pixels
    video_every: int = 1  # use every Nth frame of an uploaded video
    results_keep_seconds: float = 600.0  # finished video results stay fetchable this long
    results_max_bytes: int = 2 * 1024 * MEGABYTE  # ...within this much disk; the oldest finished go first
    body_timeout_seconds: float = 30.0  # a request body that stalls this long is answered 408 and dropped
    # where video results live; None: a temporary folder of this server's, removed on a clean stop
    work_dir: Path | None = None
