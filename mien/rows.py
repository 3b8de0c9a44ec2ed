"""One row layout per face for every table mien writes: predict's CSV, video's CSV and batch's
CSV or Parquet. A column that does not apply to an output stays empty (None): a photo has no frame,
time or track, and only a tracked face has a track.

Values: boxes in frame pixels rounded to 0.1, time in seconds to 0.001, probabilities to 4 decimals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mien.geometry.measures import MEASURES
from mien.types import FacePrediction

if TYPE_CHECKING:
    from mien.video.tracking import TrackedFace

PLACE_COLUMNS = ["path", "frame", "time", "track", "face"]
FACE_COLUMNS = ["x", "y", "w", "h", "score", "label", "compound"]
# With landmarks: the mesh's score, the head pose (degrees) and the measures (mien.geometry), then
# why a face's mesh was refused or its expression is less sure.
GEOMETRY_COLUMNS = ["mesh_score", "yaw", "pitch", "roll", *MEASURES, "pose_warning", "mesh_refused"]
NO_FACE = -1  # the face number of a row that stands for its whole input: no faces, or a failure

# The type of each column; every class column holds a float (a probability).
COLUMN_TYPES = {"path": str, "frame": int, "time": float, "track": int, "face": int, "x": float,
                "y": float, "w": float, "h": float, "score": float, "label": str, "compound": str,
                "error": str, "pose_warning": str, "mesh_refused": str}  # fmt: skip


def columns(class_names: list[str], landmarks: bool = False) -> list[str]:
    """Column names in order: where, the face, one probability per class (in the model's order),
    with landmarks the geometry columns, then error."""
    return [*PLACE_COLUMNS, *FACE_COLUMNS, *class_names, *(GEOMETRY_COLUMNS if landmarks else []), "error"]


def column_type(name: str) -> type:
    return COLUMN_TYPES.get(name, float)


def face_row(
    path: str | None,
    face: int,
    prediction: FacePrediction,
    frame: int | None = None,
    time: float | None = None,
) -> dict:
    """The ``face``-th face found in a photo, or (without tracking) in frame ``frame`` of a video."""
    return _row(path, frame, time, None, face, prediction)


def tracked_row(path: str | None, frame: int, time: float, face: int, tracked: TrackedFace) -> dict:
    """A tracked face in a video frame: its label and probabilities are the track's smoothed ones."""
    smoothed = FacePrediction(tracked.prediction.face, tracked.smoothed, tracked.prediction.geometry)
    return _row(path, frame, time, tracked.track, face, smoothed)


def no_face_row(path: str) -> dict:
    """An input in which no face was found, so that every input leaves a row."""
    return {"path": path, "face": NO_FACE}


def failed_row(path: str, error: str) -> dict:
    """An input that could not be read or recognised: the first line of its error."""
    return {"path": path, "face": NO_FACE, "error": error.splitlines()[0] if error else error}


def _row(
    path: str | None, frame: int | None, time: float | None, track: int | None, face: int, p: FacePrediction
) -> dict:
    box = dict(zip("xywh", (round(v, 1) for v in p.box.as_list())))
    place = {"path": path, "frame": frame, "time": None if time is None else round(time, 3), "track": track}
    compound = "+".join(p.compound) if p.compound else None
    scores = {name: round(value, 4) for name, value in p.scores.items()}
    described = {"score": round(p.face.score, 4), "label": p.label, "compound": compound}
    return {**place, "face": face, **box, **described, **scores, **_geometry(p), "error": None}


def _geometry(p: FacePrediction) -> dict:
    shape = p.geometry
    if shape is None:
        return {}
    pose = shape.pose.to_dict() if shape.pose else {}
    measures = {name: round(value, 4) for name, value in shape.measures.items()}
    mesh = {
        "mesh_score": round(shape.mesh_score, 4),
        "pose_warning": shape.pose_warning,
        "mesh_refused": shape.refused,
    }
    return {**mesh, **pose, **measures}
