"""The face tracker: faces matched to tracks across frames by box overlap, and each track's
probabilities smoothed over its recent frames."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mien.types import Box, FacePrediction, iou


@dataclass(frozen=True)
class TrackedFace:
    track: int
    prediction: FacePrediction  # this frame's own prediction
    smoothed: dict[str, float]  # probabilities averaged over the track's recent frames

    @property
    def label(self) -> str:
        return max(self.smoothed, key=self.smoothed.get)


@dataclass
class _Track:
    id: int
    box: Box
    smoothed: np.ndarray  # (classes,)
    missed: int = 0


@dataclass
class FaceTracker:
    """Greedy IoU matching of faces to tracks, with exponential smoothing of probabilities."""

    smoothing: float = 0.6  # weight of the past in the running average (0 = no smoothing)
    min_iou: float = 0.3
    max_missed: int = 10  # frames a track survives without a matching face
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, predictions: list[FacePrediction], class_names: list[str]) -> list[TrackedFace]:
        """This frame's faces, each on a track: the best-overlapping unclaimed one, or a new one."""
        unmatched = list(self._tracks)
        tracked = []
        for prediction in predictions:
            probs = np.array([prediction.scores[name] for name in class_names])
            track = max(unmatched, key=lambda t: iou(t.box, prediction.box), default=None)
            if track is None or iou(track.box, prediction.box) < self.min_iou:
                track = _Track(self._next_id, prediction.box, probs)
                self._next_id += 1
                self._tracks.append(track)
            else:
                unmatched.remove(track)
                track.smoothed = self.smoothing * track.smoothed + (1 - self.smoothing) * probs
                track.box, track.missed = prediction.box, 0
            tracked.append(
                TrackedFace(track.id, prediction, dict(zip(class_names, map(float, track.smoothed))))
            )
        for track in unmatched:
            track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_missed]
        return tracked
