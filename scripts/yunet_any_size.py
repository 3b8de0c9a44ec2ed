"""Make OpenCV Zoo's YuNet file take an RGB image of any size on ONNX Runtime, its answers unchanged.

    .venv/bin/python scripts/yunet_any_size.py face_detection_yunet_2023mar.onnx

The Zoo's file takes a (1, 3, 640, 640) float BGR blob; OpenCV's DNN reshapes it at run time,
ONNX Runtime refuses other sizes. The new file takes the image itself, (1, H, W, 3) uint8 RGB with
H and W multiples of 32: it converts and transposes inside the graph (faster than numpy does it
outside), and its first convolution reads the channels in RGB order (its weights' input channels
reversed). The outputs' anchor counts are named instead of fixed (the graph's reshapes already use
-1). Writes mien/weights/face_detection_yunet_2023mar_any_size.onnx and checks that mien's
detector on it finds what OpenCV's FaceDetectorYN finds with the original file.
"""

from __future__ import annotations

import argparse
from dataclasses import astuple
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skimage import data

from mien.catalogue import DETECTOR_FILES, WEIGHTS


def any_size(original: Path, out: Path) -> None:
    model = onnx.load(original)
    graph = model.graph
    graph_input = graph.input[0]  # "input": (1, 3, 640, 640) float, BGR
    first = next(node for node in graph.node if graph_input.name in node.input)
    weights = next(w for w in graph.initializer if w.name == first.input[1])  # (out, 3, k, k)
    weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights)[:, ::-1].copy(), weights.name))
    image = helper.make_tensor_value_info("image", TensorProto.UINT8, [1, "height", "width", 3])
    to_blob = [
        helper.make_node("Cast", ["image"], ["image_float"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["image_float"], [graph_input.name], perm=[0, 3, 1, 2]),
    ]
    nodes = [*to_blob, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.input.remove(graph_input)
    graph.input.append(image)
    for output in graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del graph.value_info[:]  # shapes inferred for 640x640; ONNX Runtime infers them again
    onnx.checker.check_model(model)
    onnx.save(model, out)


def check(original: Path) -> None:
    from mien.vision.detect import create_detector

    image = np.zeros((480, 640, 3), np.uint8)
    image[100:412, 200:512] = data.astronaut()[0:312, 100:412]
    opencv = cv2.FaceDetectorYN.create(str(original), "", (640, 480), 0.7, 0.3, 5000)
    _, rows = opencv.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    faces = create_detector("yunet").detect(image)
    assert rows is not None and len(rows) == len(faces), (rows, faces)
    for row, face in zip(rows, faces):
        ours = [*astuple(face.box), *np.ravel(astuple(face.landmarks)), face.score]
        np.testing.assert_allclose(ours, row, atol=1e-3)
    print(f"same {len(faces)} face(s) as OpenCV's FaceDetectorYN, boxes and landmarks within 1e-3 px")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original", type=Path, help="face_detection_yunet_2023mar.onnx from the OpenCV Zoo")
    args = parser.parse_args()
    out = WEIGHTS / DETECTOR_FILES["yunet"]
    any_size(args.original, out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")
    check(args.original)
