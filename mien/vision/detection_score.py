"""A detector scored against photos whose face boxes a person checked: faces missed, false positives.

The labels are a `faces.json` beside the photos: per file, `faces` (boxes that must be found) and
`ignore` (tiny or blurred heads that count neither way), each box [x1, y1, x2, y2] in pixels of the
original image. A detection matches a box when IoU >= 0.3 or each box's centre lies inside the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mien.types import Box, iou
from mien.vision.detect import Detector
from mien.vision.io import read_image


@dataclass
class DetectionScore:
    labelled: int = 0  # faces a person checked
    missed: list[tuple[str, list[float]]] = field(default_factory=list)  # (file, box)
    false_positives: list[tuple[str, Box]] = field(default_factory=list)  # (file, box)

    @property
    def recall(self) -> float:
        return 1 - len(self.missed) / self.labelled if self.labelled else 1.0


def matches(box: Box, truth: list[float]) -> bool:
    """The labels' rule: IoU >= 0.3, or each box's centre inside the other."""
    x1, y1, x2, y2 = truth
    centre_x, centre_y = box.x + box.w / 2, box.y + box.h / 2
    centres_inside = (
        x1 <= centre_x <= x2 and y1 <= centre_y <= y2 and box.x <= (x1 + x2) / 2 <= box.x + box.w
        and box.y <= (y1 + y2) / 2 <= box.y + box.h
    )  # fmt: skip
    return iou(box, Box(x1, y1, x2 - x1, y2 - y1)) >= 0.3 or centres_inside


def score_detector(detector: Detector, folder: Path) -> DetectionScore:
    """Run the detector on every photo that `folder/faces.json` labels and count its errors."""
    truth = json.loads((Path(folder) / "faces.json").read_text())
    score = DetectionScore()
    for file_name, labelled in truth.items():
        faces = detector.detect(read_image(Path(folder) / file_name))
        score.labelled += len(labelled["faces"])
        score.missed += [
            (file_name, box) for box in labelled["faces"] if not any(matches(f.box, box) for f in faces)
        ]
        known = labelled["faces"] + labelled["ignore"]
        score.false_positives += [
            (file_name, f.box) for f in faces if not any(matches(f.box, box) for box in known)
        ]
    return score
