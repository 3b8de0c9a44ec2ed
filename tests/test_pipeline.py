import cv2
import numpy as np
import pytest

from mien.catalogue import model_file
from mien.data.ferplus import FERPLUS_CLASSES
from mien.data.synthetic import draw_face
from mien.pipeline import Predictor


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
    assert model_file().stat().st_size < 10 * 1024 * 1024
    predictor = Predictor.default()
    assert predictor.class_names == list(FERPLUS_CLASSES)  # the default answers eight classes
    [face] = predictor.predict_aligned(np.stack([draw_face(3, np.random.default_rng(0))] * 3, axis=-1))
    assert set(face.scores) == set(FERPLUS_CLASSES)


@pytest.mark.parametrize(("name", "split"), [("general", "holdout"), ("fer2013", "PublicTest")])
def test_the_shipped_models_are_calibrated_on_held_out_faces_only(name, split):
    from mien.models.checkpoint import load_checkpoint

    records = load_checkpoint(model_file(name)).get("calibration", [])
    assert [record["split"] for record in records] == [split]  # never a test split
    fitted = records[0]
    assert fitted["after"]["log_loss"] < fitted["before"]["log_loss"]
    assert sum(fitted["class_bias"].values()) == pytest.approx(0.0, abs=1e-6)


def test_tiny_and_odd_images_give_no_faces_not_errors(untrained_checkpoint, tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tmp_path / "one_pixel.png")
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)).save(tmp_path / "deep.png")
    results = list(Predictor.from_checkpoint(untrained_checkpoint).predict_files([tmp_path]))
    assert [(r.faces, r.error) for r in results] == [([], None), ([], None)]


def test_compound_names_two_close_classes():
    from mien.types import Box, Face, FacePrediction

    face = Face(Box(0, 0, 10, 10), 1.0)
    mixed = FacePrediction(face, {"happy": 0.45, "surprise": 0.40, "sad": 0.15})
    clear = FacePrediction(face, {"happy": 0.70, "surprise": 0.20, "sad": 0.10})
    assert mixed.compound == ("happy", "surprise") and mixed.to_dict()["compound"] == ["happy", "surprise"]
    assert clear.compound is None and clear.to_dict()["compound"] is None


def test_the_one_thread_twin_answers_the_same_and_is_built_once(untrained_checkpoint):
    from skimage import data

    from mien.vision.detect import create_detector

    predictor = Predictor.default(backend="onnx")
    twin = predictor.one_thread_each()
    assert twin.detector.threads == 1 and twin.classifier.fast.threads == 1
    image = data.astronaut()
    assert twin.predict(image, landmarks=True) == predictor.predict(image, landmarks=True)
    assert predictor.one_thread_each() is twin
    predictor.detector = create_detector("yunet", max_side=320)  # a new detector: a new twin
    rebuilt = predictor.one_thread_each()
    assert rebuilt is not twin and rebuilt.detector.settings.max_side == 320
    assert Predictor.from_checkpoint(untrained_checkpoint).one_thread_each() is None  # PyTorch's threads


def test_photos_recognised_side_by_side_are_the_photos_recognised_one_at_a_time(tmp_path):
    import cv2

    from tests.media import moving_face_frames

    for index, frame in enumerate(moving_face_frames(5)):
        cv2.imwrite(str(tmp_path / f"{index}.jpg"), frame[..., ::-1])
    (tmp_path / "2_broken.jpg").write_bytes(b"not a photo")
    predictor = Predictor.default(backend="onnx")

    def answers(workers):
        return [(r.path, r.faces, r.error) for r in predictor.predict_files([tmp_path], workers=workers)]

    one_at_a_time = answers(0)
    assert [path.rsplit("/", 1)[-1] for path, _, _ in one_at_a_time] == [
        "0.jpg", "1.jpg", "2.jpg", "2_broken.jpg", "3.jpg", "4.jpg"
    ]  # fmt: skip
    assert [len(faces) for _, faces, _ in one_at_a_time] == [1, 1, 1, 0, 1, 1]
    assert one_at_a_time[3][2] is not None  # the broken file's error, in its place
    for workers in (1, 2, None):
        assert answers(workers) == one_at_a_time  # boxes and scores bit for bit, errors in place
