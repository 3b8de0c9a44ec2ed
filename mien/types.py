"""Values that cross module borders: what was found in an image and what the model said."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    """A face box in frame pixels: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    def as_list(self) -> list[float]:
        return [self.x, self.y, self.w, self.h]


@dataclass(frozen=True)
class FacePrediction:
    """One face: where it is, how sure the detector was, and the class probabilities."""

    box: Box
    score: float  # detector confidence; 1.0 for a face given already aligned
    scores: dict[str, float]  # class name -> probability, summing to 1

    @property
    def label(self) -> str:
        return max(self.scores, key=self.scores.get)

    def to_dict(self) -> dict:
        return {
            "box": [round(v, 1) for v in self.box.as_list()],
            "score": round(self.score, 4),
            "label": self.label,
            "scores": {name: round(p, 4) for name, p in self.scores.items()},
        }


@dataclass(frozen=True)
class ImageResult:
    """Everything mien says about one input: its faces, or the error that stopped it."""

    path: str
    faces: list[FacePrediction] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "faces": [f.to_dict() for f in self.faces], "error": self.error}
