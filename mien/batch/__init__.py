"""Recognition over large collections of images and videos on Ray Data, written incrementally and
resumable: mien.batch.run_batch."""

from mien.batch.runner import run_batch

__all__ = ["run_batch"]
