"""Faces in, FaceGeometry out: the mesh, head pose and measures of each face, or why there are none.

A mesh is refused, never half-given, when its crop lies mostly outside the image (a face cut off by
the frame), the face is too small for its pose to hold, or the mesh model's own face score is low
(a blurred, hidden or mistaken face); each limit was measured on real and damaged faces (model
card, "Landmarks"; scripts/landmark_study.py refusal, small). A face turned further than the
expression models read reliably gets a pose warning.
"""

from __future__ import annotations

import numpy as np

from mien.geometry.measures import face_measures
from mien.geometry.mesh import FaceMesh, MeshPoints
from mien.geometry.pose import fit_pose, reference
from mien.types import Face, FaceGeometry, HeadPose

MIN_MESH_SCORE = 0.5  # below this the mesh model does not see a face (measured: model card)
MAX_OUTSIDE = 0.4  # a face box more outside the image than this is a face cut off by the frame
MIN_FACE_WIDTH = 24  # px: narrower, the median face's pose moves more than 3 degrees (model card)
# Degrees beyond which fer2013 (the default when measured) is 5 or more points less accurate (model card).
POSE_LIMITS = {"yaw": 15.0, "pitch": 30.0}


class FaceAnalyser:
    """The mesh model and what is read from its points."""

    def __init__(self, mesh: FaceMesh | None = None, threads: int = 0):
        self.mesh = mesh or FaceMesh(threads=threads)

    def analyse(self, image: np.ndarray, faces: list[Face]) -> list[FaceGeometry]:
        """Each face's geometry, in the order given, from an RGB uint8 image."""
        large = [face for face in faces if face.box.w >= MIN_FACE_WIDTH]
        meshes = iter(self.mesh.run(image, large))
        return [geometry(next(meshes)) if face.box.w >= MIN_FACE_WIDTH else too_small(face) for face in faces]


def too_small(face: Face) -> FaceGeometry:
    return FaceGeometry(
        0.0, refused=f"face {face.box.w:.0f} px wide, under {MIN_FACE_WIDTH}: too small to measure"
    )


def geometry(mesh: MeshPoints) -> FaceGeometry:
    """What one face's mesh says, or why it is refused."""
    if mesh.outside > MAX_OUTSIDE:
        return FaceGeometry(
            mesh.score, refused=f"face cut off by the image's edge ({mesh.outside:.0%} of its box)"
        )
    if mesh.score < MIN_MESH_SCORE:
        return FaceGeometry(
            mesh.score, refused=f"mesh score {mesh.score:.2f} under {MIN_MESH_SCORE}: no clear face"
        )
    pose, frontal = fit_pose(mesh.points)
    measures = face_measures(frontal, reference().points)
    return FaceGeometry(mesh.score, mesh.points, pose, measures, pose_warning(pose))


def pose_warning(pose: HeadPose) -> str | None:
    """Why the expression read from a face this turned is less sure, or None."""
    turned = [
        f"{name} {getattr(pose, name):+.0f}"
        for name, limit in POSE_LIMITS.items()
        if abs(getattr(pose, name)) > limit
    ]
    if not turned:
        return None
    limits = ", ".join(f"|{name}| {limit:.0f}" for name, limit in POSE_LIMITS.items())
    return f"face turned ({', '.join(turned)} degrees) beyond {limits}: its expression is less sure"
