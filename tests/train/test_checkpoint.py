import pytest
import torch

from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.registry import create_model
from mien.train.checkpoint import inference_checkpoint


def described(model_name="vgg_s"):
    torch.manual_seed(0)
    model = create_model(model_name)
    return model, {
        "model": {"name": model_name, "args": {}},
        "class_names": ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"],
        "preprocess": {"size": 48, "mean": 0.5, "std": 0.25},
        "config": {},
        "metrics": {"public": {"accuracy": 0.5}},
        "state_dict": model.state_dict(),
    }


def test_checkpoint_alone_rebuilds_the_model(tmp_path):
    model, checkpoint = described()
    save_checkpoint(tmp_path / "a.pt", checkpoint)
    rebuilt = model_from_checkpoint(load_checkpoint(tmp_path / "a.pt"))
    x = torch.randn(2, 1, 48, 48)
    torch.testing.assert_close(rebuilt(x), model.eval()(x))
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]  # no temporary file left behind


def test_shipping_copy_drops_training_state_and_can_halve_weights(tmp_path):
    model, checkpoint = described()
    checkpoint["optimizer"] = {"state": {}}
    slim = inference_checkpoint(checkpoint, half=True)
    assert "optimizer" not in slim
    assert all(v.dtype != torch.float32 for v in slim["state_dict"].values())
    save_checkpoint(tmp_path / "slim.pt", slim)
    rebuilt = model_from_checkpoint(load_checkpoint(tmp_path / "slim.pt"))
    x = torch.randn(2, 1, 48, 48)
    torch.testing.assert_close(rebuilt(x), model.eval()(x), atol=2e-2, rtol=0)


def test_foreign_and_missing_files_are_clear_errors(tmp_path):
    torch.save({"weights": torch.zeros(1)}, tmp_path / "foreign.pt")
    with pytest.raises(MienError, match="not a mien checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(MienError, match="not a readable mien checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(MienError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("ran code",))

    torch.save({"format": "mien-checkpoint/1", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(MienError, match="not a readable mien checkpoint"):
        load_checkpoint(tmp_path / "evil.pt")
