"""run_batch: list the inputs, skip those the output already holds, and recognise the rest on Ray
Data, where an actor pool holds the predictors (one per actor, built once) and map_batches feeds
them files; rows come back to this process and are written as they arrive."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from mien.batch.rows import VIDEO_SUFFIXES, rows_for_file
from mien.batch.sink import arrow_schema, open_sink
from mien.errors import MienError
from mien.pipeline import Predictor
from mien.rows import columns
from mien.vision.io import IMAGE_SUFFIXES, list_images


class _Recogniser:
    """A Ray actor's state: one predictor, one thread (the actors share the cores)."""

    def __init__(self, every: int, aligned: bool, model: dict, landmarks: bool = False):
        import cv2

        cv2.setNumThreads(1)
        self.predictor = _predictor(model, threads=1)
        if landmarks:
            from mien.geometry.analysis import FaceAnalyser

            self.predictor.analyser = FaceAnalyser(threads=1)
        self.every, self.aligned, self.landmarks = every, aligned, landmarks

    def __call__(self, batch: dict) -> pa.Table:
        rows = [
            row
            for path in batch["path"]
            for row in rows_for_file(self.predictor, str(path), self.every, self.aligned, self.landmarks)
        ]
        # Typed here, so that every block has the same schema and None stays None (not NaN).
        names = columns(self.predictor.class_names, self.landmarks)
        return pa.Table.from_pylist(rows, arrow_schema(names))


def list_inputs(inputs: Iterable[str | Path]) -> list[str]:
    """Files as given (a missing or unreadable one becomes a row with its error), and image and
    video files found recursively in given folders (sorted)."""
    return [str(path) for path in list_images(inputs, IMAGE_SUFFIXES | VIDEO_SUFFIXES)]


def run_batch(
    inputs: Iterable[str | Path],
    out: Path,
    every: int = 1,
    aligned: bool = False,
    address: str | None = None,
    actors: int | None = None,
    files_per_call: int = 16,
    model: dict | None = None,
    landmarks: bool = False,
) -> dict:
    """Recognise every input not yet in ``out`` with the model ``model`` describes (see _predictor;
    the default model when None), with each face's pose and measures when ``landmarks``; returns
    counts of files, faces and errors."""
    try:
        import ray
    except ImportError:
        raise MienError("mien batch runs on Ray: pip install 'mien[batch]'") from None

    model = dict(model or {})
    names = columns(_predictor(model).class_names, landmarks)
    sink = open_sink(Path(out), names)
    done = sink.done_paths()
    todo = [path for path in list_inputs(inputs) if path not in done]
    summary = {"skipped": len(done), "files": 0, "faces": 0, "errors": 0}
    if not todo:
        sink.close()
        return summary
    ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             logging_level="ERROR")  # fmt: skip
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # mien's own bar counts files and faces
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    workers = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    dataset = ray.data.from_items([{"path": path} for path in todo]).map_batches(
        _Recogniser, fn_constructor_kwargs={"every": every, "aligned": aligned, "model": model,
                                            "landmarks": landmarks},
        batch_size=files_per_call, concurrency=workers, num_cpus=1, batch_format="numpy",
    )  # fmt: skip
    seen: set[str] = set()
    progress = tqdm(total=len(todo), unit="file", desc="files", disable=None)
    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            rows = batch.to_pylist()
            sink.write(rows)
            new = {row["path"] for row in rows} - seen
            seen |= new
            summary["faces"] += sum(1 for row in rows if row["face"] >= 0)
            summary["errors"] += sum(1 for row in rows if isinstance(row["error"], str))
            progress.update(len(new))
            progress.set_postfix(faces=summary["faces"])
    finally:
        progress.close()
        sink.close()
    summary["files"] = len(seen)
    return summary


def _predictor(model: dict, threads: int = 0) -> Predictor:
    """The predictor ``model`` describes: {"checkpoint": path}, {"model": a shipped model's name},
    or {} for the default model, with any other Predictor options."""
    options = dict(model)
    checkpoint = options.pop("checkpoint", None)
    if checkpoint:
        return Predictor.from_checkpoint(checkpoint, **options, threads=threads)
    return Predictor.default(**options, threads=threads)
