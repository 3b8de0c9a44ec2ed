"""Named measures of a face's shape, read from its pose-normalised mesh.

Each is a distance or a height in the face seen from the front (mien.geometry.pose), divided by the
face's own inter-ocular distance (outer eye corners, points 33 and 263), so it does not depend on
the face's size in the image or on where it turns. Sides are the subject's. Heights are measured
upwards. These are geometric measures of the mesh, not FACS action units: they say how open the
mouth is, not which muscle opened it, and a face's resting shape shows in them as much as its
expression (compare a face with itself over time, or groups of faces, rather than one face with a
threshold).

Mesh points used (MediaPipe Face Mesh numbering):
- eye_openness_right / _left: upper and lower eyelid at the eye's middle, 159-145 / 386-374;
- brow_raise_right / _left: the brow's upper edge (70, 63, 105, 66, 107 / 300, 293, 334, 296, 336)
  above the eye's corners (33, 133 / 263, 362);
- brow_furrow: how much nearer the inner brow ends (107, 336) are than in mien's reference face;
  positive when the brows are drawn together;
- mouth_opening: the inner lips at the middle, 13-14;
- mouth_width: the mouth corners, 61-291;
- lip_corner_lift_right / _left: how much higher the corner (61 / 291) sits under the nose's base
  (2) than in mien's reference face; it rises in a smile and falls in a frown or as the jaw drops;
- eye_openness_asymmetry, brow_raise_asymmetry, lip_corner_asymmetry: right minus left.
"""

from __future__ import annotations

import numpy as np

from mien.geometry.mesh import LEFT_EYE_OUTER, RIGHT_EYE_OUTER

RIGHT_EYE_LIDS, LEFT_EYE_LIDS = (159, 145), (386, 374)
RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS = (33, 133), (263, 362)
RIGHT_BROW, LEFT_BROW = (70, 63, 105, 66, 107), (300, 293, 334, 296, 336)
INNER_BROWS = (107, 336)
INNER_LIPS = (13, 14)
MOUTH_CORNERS = (61, 291)  # right, left
NOSE_BASE = 2

MEASURES = (
    "eye_openness_right",
    "eye_openness_left",
    "brow_raise_right",
    "brow_raise_left",
    "brow_furrow",
    "mouth_opening",
    "mouth_width",
    "lip_corner_lift_right",
    "lip_corner_lift_left",
    "eye_openness_asymmetry",
    "brow_raise_asymmetry",
    "lip_corner_asymmetry",
)


def face_measures(frontal: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """The measures of one pose-normalised mesh (468, 3), y up; ``reference`` is the frontal reference
    face in the same frame, which brow_furrow and the lip corners are measured against."""
    xy, reference_xy = frontal[:, :2], reference[:, :2]
    eyes = _distance(xy, RIGHT_EYE_OUTER, LEFT_EYE_OUTER)
    reference_eyes = _distance(reference_xy, RIGHT_EYE_OUTER, LEFT_EYE_OUTER)

    def apart(a: int, b: int, points: np.ndarray = xy, unit: float = eyes) -> float:
        return _distance(points, a, b) / unit

    def above(
        points: tuple[int, ...], base: tuple[int, ...], face: np.ndarray = xy, unit: float = eyes
    ) -> float:
        return float(face[list(points), 1].mean() - face[list(base), 1].mean()) / unit

    def lift(corner: int) -> float:
        resting = above((corner,), (NOSE_BASE,), reference_xy, reference_eyes)
        return above((corner,), (NOSE_BASE,)) - resting

    values = {
        "eye_openness_right": apart(*RIGHT_EYE_LIDS),
        "eye_openness_left": apart(*LEFT_EYE_LIDS),
        "brow_raise_right": above(RIGHT_BROW, RIGHT_EYE_CORNERS),
        "brow_raise_left": above(LEFT_BROW, LEFT_EYE_CORNERS),
        "brow_furrow": apart(*INNER_BROWS, reference_xy, reference_eyes) - apart(*INNER_BROWS),
        "mouth_opening": apart(*INNER_LIPS),
        "mouth_width": apart(*MOUTH_CORNERS),
        "lip_corner_lift_right": lift(MOUTH_CORNERS[0]),
        "lip_corner_lift_left": lift(MOUTH_CORNERS[1]),
    }
    values["eye_openness_asymmetry"] = values["eye_openness_right"] - values["eye_openness_left"]
    values["brow_raise_asymmetry"] = values["brow_raise_right"] - values["brow_raise_left"]
    values["lip_corner_asymmetry"] = values["lip_corner_lift_right"] - values["lip_corner_lift_left"]
    return {name: values[name] for name in MEASURES}


def _distance(points: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(points[a] - points[b]))
