from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mien.catalogue import ENSEMBLE, resolve_teachers, shipped_model
from mien.config import config_to_dict, load_config
from mien.data.fer2013 import CLASS_NAMES
from mien.data.ferplus import FERPLUS_CLASSES
from mien.data.loaders import to_model_input
from mien.data.run_data import run_data
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.models.registry import create_model
from mien.train.distill import (
    TeacherEnsemble,
    distillation_loss,
    precomputed_soft_labels,
)
from mien.train.evaluate import evaluate
from mien.train.runner import TEACHER_LABELS, fit
from mien.train.state import build_state

PREPROCESS = {"size": 48, "mean": 0.5, "std": 0.25}
FAST = ["train.batch_size=64", "train.lr=0.05", "train.warmup_epochs=0.5", "train.bf16=false"]


def test_the_soft_term_pulls_the_student_towards_the_teacher():
    logits = torch.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    hard = torch.tensor(1.3)
    assert distillation_loss(logits, hard, torch.full((1, 3), 1 / 3), 0.0, 2.0) == hard
    # A teacher that agrees with the student (at the same temperature) gives no gradient...
    agreeing = F.softmax(logits.detach() / 2.0, dim=1)
    distillation_loss(logits, torch.tensor(0.0), agreeing, 1.0, 2.0).backward()
    torch.testing.assert_close(logits.grad, torch.zeros_like(logits))
    # ...and one that prefers class 2 raises the student's class-2 logit.
    logits.grad = None
    distillation_loss(logits, torch.tensor(0.0), torch.tensor([[0.1, 0.1, 0.8]]), 1.0, 2.0).backward()
    assert logits.grad[0, 2] < 0


@pytest.mark.parametrize("labels", ["live", "precomputed"])
def test_a_student_learns_from_the_teacher_alone(train_csv, tmp_path, labels):
    fit(load_config(None, [*FAST, "train.epochs=3"]), train_csv, tmp_path / "teacher")
    teacher = str(tmp_path / "teacher" / "best.pt")
    # distill_alpha=1: the labels play no part, everything the student knows comes from the teacher.
    student = load_config(
        None,
        [
            *FAST,
            "train.epochs=3",
            f"train.teachers={teacher}",
            "train.distill_alpha=1",
            "train.distill_temperature=1",
            f"train.distill_labels={labels}",
        ],
    )
    fit(student, train_csv, tmp_path / "student")
    assert load_checkpoint(tmp_path / "student" / "last.pt")["config"]["train"]["teachers"] == [teacher]
    assert (tmp_path / "student" / TEACHER_LABELS).is_file() == (labels == "precomputed")
    assert (
        evaluate([tmp_path / "student" / "best.pt"], train_csv, "private")["accuracy"] > 0.7
    )  # chance is 1/7


def test_precomputed_labels_average_face_and_mirror_and_are_made_once(train_csv, tmp_path, monkeypatch):
    config = load_config(None, [*FAST, "train.epochs=1", "data.train_limit=200"])
    fit(config, train_csv, tmp_path / "t")
    preprocess = config_to_dict(config)["preprocess"]
    teacher = TeacherEnsemble.from_checkpoints([tmp_path / "t" / "last.pt"], preprocess, 2.0, bf16=False)
    faces = torch.randint(0, 256, (5, 48, 48), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    cache = tmp_path / "run" / TEACHER_LABELS

    labels = precomputed_soft_labels(teacher, faces, preprocess, cache)

    images = to_model_input(faces, preprocess)
    mean = (teacher.soft_labels(images) + teacher.soft_labels(images.flip(-1))) / 2
    torch.testing.assert_close(labels, mean)
    assert not torch.allclose(labels, teacher.soft_labels(images))  # the mirror image counts
    # The same teachers and faces read the file; other faces are labelled afresh.
    monkeypatch.setattr(teacher, "label_faces", lambda *args: pytest.fail("labelled again"))
    torch.testing.assert_close(precomputed_soft_labels(teacher, faces, preprocess, cache), labels)
    with pytest.raises(pytest.fail.Exception, match="labelled again"):
        precomputed_soft_labels(teacher, faces.flip(-1).contiguous(), preprocess, cache)


def test_an_unknown_way_of_labelling_is_refused(train_csv, tmp_path):
    fit(load_config(None, [*FAST, "train.epochs=1", "data.train_limit=200"]), train_csv, tmp_path / "t")
    config = load_config(
        None, [*FAST, f"train.teachers={tmp_path / 't' / 'last.pt'}", "train.distill_labels=x"]
    )
    with pytest.raises(MienError, match="distill_labels"):
        fit(config, train_csv, tmp_path / "student")


def test_a_teacher_with_other_preprocessing_is_refused(train_csv, tmp_path):
    fit(load_config(None, [*FAST, "train.epochs=1", "data.train_limit=200"]), train_csv, tmp_path / "t")
    with pytest.raises(MienError, match="preprocessing"):
        TeacherEnsemble.from_checkpoints(
            [tmp_path / "t" / "last.pt"], {"size": 48, "mean": 0.4, "std": 0.25}, 2.0
        )


def test_shipped_names_the_shipped_ensemble_and_a_name_a_shipped_model():
    paths = resolve_teachers(["shipped", "vgg_s_distilled_gen3", "other.pt"])
    members = shipped_model(ENSEMBLE).members
    assert [p.name for p in paths] == [f"{name}.onnx" for name in members] + [
        "vgg_s_distilled_gen3.onnx",
        "other.pt",
    ]
    assert paths[-2].is_file() and paths[-1] == Path("other.pt")
    assert load_config(None, ["train.teachers=shipped"]).train.teachers == ["shipped"]
    assert load_config(None, ['train.teachers=["a.pt", "b.pt"]']).train.teachers == ["a.pt", "b.pt"]


def eight_class_teacher(path: Path, seed: int = 1) -> Path:
    torch.manual_seed(seed)
    save_checkpoint(path, {
        "model": {"name": "vgg_s", "args": {}},
        "class_names": list(FERPLUS_CLASSES),
        "preprocess": PREPROCESS,
        "state_dict": create_model("vgg_s", num_classes=8).state_dict(),
    })  # fmt: skip
    return path


def test_an_eight_class_teacher_teaches_a_seven_class_student_by_class_name(tmp_path):
    path = eight_class_teacher(tmp_path / "ferplus.pt")
    teacher = TeacherEnsemble.from_checkpoints([path], PREPROCESS, 2.0, bf16=False, class_names=CLASS_NAMES)
    images = torch.randn(4, 1, 48, 48)
    with torch.no_grad():
        logits = teacher.models[0](images)
    by_name = logits[:, [FERPLUS_CLASSES.index(name) for name in CLASS_NAMES]]  # contempt left out
    torch.testing.assert_close(teacher.soft_labels(images), torch.softmax(by_name / 2.0, dim=1))

    with pytest.raises(MienError, match="shares no class with this model: it cannot teach"):
        TeacherEnsemble.from_checkpoints(
            [tmp_path / "ferplus.pt"], PREPROCESS, 2.0, class_names=("joy", "awe")
        )


def test_a_seven_class_teacher_gives_a_class_it_lacks_probability_zero(tmp_path):
    path = eight_class_teacher(tmp_path / "ferplus.pt")
    student_classes = ("contempt", "joy", "happy")  # the teacher lacks joy
    teacher = TeacherEnsemble.from_checkpoints(
        [path], PREPROCESS, 2.0, bf16=False, class_names=student_classes
    )
    images = torch.randn(4, 1, 48, 48)
    with torch.no_grad():
        logits = teacher.models[0](images)
    known = logits[:, [FERPLUS_CLASSES.index("contempt"), FERPLUS_CLASSES.index("happy")]]
    labels = teacher.soft_labels(images)
    assert torch.all(labels[:, 1] == 0)
    torch.testing.assert_close(labels[:, [0, 2]], torch.softmax(known / 2.0, dim=1))


def test_flipped_teachers_average_each_image_and_its_mirror_image(tmp_path):
    path = eight_class_teacher(tmp_path / "ferplus.pt")
    one_view = TeacherEnsemble.from_checkpoints([path], PREPROCESS, 2.0, bf16=False)
    flipped = TeacherEnsemble.from_checkpoints([path], PREPROCESS, 2.0, bf16=False, flip=True)
    images = torch.randn(4, 1, 48, 48)
    mirrored = images.flip(-1)
    expected = (one_view.soft_labels(images) + one_view.soft_labels(mirrored)) / 2
    torch.testing.assert_close(flipped.soft_labels(images), expected)
    # a mirror-symmetric batch gets the one-view labels; an asymmetric one does not
    assert not torch.allclose(flipped.soft_labels(images), one_view.soft_labels(images))
    symmetric = (images + mirrored) / 2
    torch.testing.assert_close(flipped.soft_labels(symmetric), one_view.soft_labels(symmetric))


def test_distill_flip_reaches_the_teachers_from_the_config(train_csv, tmp_path):
    teacher = eight_class_teacher(tmp_path / "ferplus.pt")
    config = load_config(None, [*FAST, "train.epochs=1", f"train.teachers=[\"{teacher}\"]",
                                "train.distill_flip=true", "data.train_limit=128"])  # fmt: skip
    train_set, _ = run_data(train_csv, config)
    state = build_state(config, train_set, torch.device("cpu"), tmp_path / "run")
    assert state.teacher is not None and state.teacher.flip
