import cv2
import numpy as np
import pytest

from mien.data.fer2013 import CLASS_NAMES
from mien.data.synthetic import draw_face
from mien.pipeline import SHIPPED_WEIGHTS, Predictor


def test_aligned_files_are_answered_in_order_and_bad_files_do_not_stop_the_batch(
    untrained_checkpoint, tmp_path
):
    rng = np.random.default_rng(0)
    faces = tmp_path / "faces"
    faces.mkdir()
    for index in range(5):
        cv2.imwrite(str(faces / f"{index}.png"), draw_face(index, rng))
    cv2.imwrite(str(faces / "3_big.png"), cv2.resize(draw_face(1, rng), (96, 96)))  # resized to 48
    (faces / "2_broken.jpg").write_bytes(b"broken")
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    results = list(predictor.predict_aligned_files([faces], batch_size=2))
    names = [r.path.split("/")[-1] for r in results]
    assert names == ["0.png", "1.png", "2.png", "2_broken.jpg", "3.png", "3_big.png", "4.png"]
    broken = results[3]
    assert broken.faces == [] and "not an image" in broken.error
    for result in results[:3] + results[4:]:
        [face] = result.faces
        assert result.error is None
        assert sum(face.scores.values()) == pytest.approx(1.0, abs=1e-4)
        assert face.label == max(face.scores, key=face.scores.get)
    assert results[5].faces[0].box.as_list() == [0, 0, 96, 96]
    # Batching does not change the answers.
    single = predictor.predict_aligned(faces / "4.png")[0]
    assert single.scores == pytest.approx(results[6].faces[0].scores, abs=1e-5)


def test_the_shipped_model_loads_offline():
    assert SHIPPED_WEIGHTS.stat().st_size < 10 * 1024 * 1024
    predictor = Predictor.default()
    assert predictor.class_names == list(CLASS_NAMES)
    [face] = predictor.predict_aligned(np.stack([draw_face(3, np.random.default_rng(0))] * 3, axis=-1))
    assert set(face.scores) == set(CLASS_NAMES)


def test_recognition_demo_writes_the_photo_and_its_annotation(untrained_checkpoint, tmp_path):
    from mien.demo import run_recognition_demo

    result, annotated = run_recognition_demo(tmp_path, Predictor.from_checkpoint(untrained_checkpoint))
    assert len(result.faces) == 1 and result.error is None
    assert cv2.imread(str(annotated)).shape == (512, 512, 3)
    assert (tmp_path / "astronaut.png").exists()
