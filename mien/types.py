"""Values that cross module borders: what was found in an image and what the model said."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Box:
    """A face box in frame pixels: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    def as_list(self) -> list[float]:
        return [self.x, self.y, self.w, self.h]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    width = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    height = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    return overlap / (a.w * a.h + b.w * b.h - overlap)


Point = tuple[float, float]


@dataclass(frozen=True)
class Landmarks:
    """Five facial points in frame pixels, named from the subject's side (their right eye is on
    the image's left in an unmirrored photo)."""

    right_eye: Point
    left_eye: Point
    nose: Point
    mouth_right: Point
    mouth_left: Point

    def to_dict(self) -> dict:
        return {name: [round(v, 1) for v in point] for name, point in self.__dict__.items()}


@dataclass(frozen=True)
class Face:
    """A detected face: its box, the detector's confidence and, when known, its landmarks."""

    box: Box
    score: float
    landmarks: Landmarks | None = None


@dataclass(frozen=True)
class HeadPose:
    """Where a face points, in degrees (mien.geometry.pose): yaw > 0 turned towards the image's
    right, pitch > 0 tilted up, roll > 0 leaning counter-clockwise as the image shows it."""

    yaw: float
    pitch: float
    roll: float

    def to_dict(self) -> dict:
        return {name: round(value, 1) for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class FaceGeometry:
    """What the face mesh says about one face (mien.geometry): 468 points, head pose and named
    measures; or, when the mesh was refused, why."""

    mesh_score: float  # the mesh model's face score, 0..1 (0 for a face too small to be meshed)
    points: np.ndarray | None = field(default=None, repr=False, compare=False)  # (468, 3): x, y px, depth
    pose: HeadPose | None = None
    measures: dict[str, float] = field(default_factory=dict)  # name -> value, in inter-ocular distances
    pose_warning: str | None = None  # the face is turned beyond where the expression's accuracy holds
    refused: str | None = None  # why there are no points

    def to_dict(self, points: bool = True) -> dict:
        return {
            "mesh_score": round(self.mesh_score, 4),
            "refused": self.refused,
            "pose": self.pose.to_dict() if self.pose else None,
            "pose_warning": self.pose_warning,
            "measures": {name: round(value, 4) for name, value in self.measures.items()},
            "points": np.round(self.points, 1).tolist() if points and self.points is not None else None,
        }


COMPOUND_MARGIN = 0.15  # two classes this close in probability are both reported
COMPOUND_MINIMUM = 0.25  # ...when the second one holds at least this much


@dataclass(frozen=True)
class FacePrediction:
    """One face and the class probabilities the model gave it."""

    face: Face
    scores: dict[str, float]  # class name -> probability, summing to 1
    geometry: FaceGeometry | None = None  # with landmarks=True: mesh, head pose, measures

    @property
    def box(self) -> Box:
        return self.face.box

    @property
    def label(self) -> str:
        return max(self.scores, key=self.scores.get)

    @property
    def compound(self) -> tuple[str, str] | None:
        """The two leading classes when the face shows both about equally (e.g. happy and surprise)."""
        first, second = sorted(self.scores, key=self.scores.get, reverse=True)[:2]
        close = self.scores[first] - self.scores[second] <= COMPOUND_MARGIN
        return (first, second) if close and self.scores[second] >= COMPOUND_MINIMUM else None

    def to_dict(self) -> dict:
        landmarks = self.face.landmarks
        return {
            "box": [round(v, 1) for v in self.box.as_list()],
            "score": round(self.face.score, 4),
            "landmarks": landmarks.to_dict() if landmarks else None,
            "label": self.label,
            "compound": list(self.compound) if self.compound else None,
            "scores": {name: round(p, 4) for name, p in self.scores.items()},
            **({"geometry": self.geometry.to_dict()} if self.geometry else {}),
        }


@dataclass(frozen=True)
class Explanation:
    """Where the model looked for one face: a map over its aligned crop, for one target class."""

    prediction: FacePrediction
    aligned: object  # mien.vision.align.AlignedFace: the crop and its transform back to the frame
    method: str
    target: str  # the class explained
    score: float  # the model's probability for that class
    heat: np.ndarray  # (size, size) float32 in [0, 1]


@dataclass(frozen=True)
class ImageResult:
    """Everything mien says about one input: its faces, or the error that stopped it."""

    path: str
    faces: list[FacePrediction] = field(default_factory=list)
    error: str | None = None
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # the RGB pixels read

    def to_dict(self) -> dict:
        return {"path": self.path, "faces": [f.to_dict() for f in self.faces], "error": self.error}
