import pytest
import torch

from mien.errors import MienError
from mien.models.registry import create_model, list_models, register_model


@pytest.mark.parametrize("name", list_models())
def test_every_model_keeps_the_contract(name):
    torch.manual_seed(0)
    model = create_model(name, num_classes=7).eval()
    x = torch.randn(3, 1, 48, 48)
    with torch.no_grad():
        features = model.features(x)
        logits = model(x)
    assert features.ndim == 4 and features.shape[0] == 3  # a feature map that Grad-CAM can hook
    assert logits.shape == (3, 7)
    torch.testing.assert_close(model.head(features), logits)


@pytest.mark.parametrize("name", list_models())
def test_every_model_trains_in_bf16_and_channels_last(name):
    model = create_model(name).to(memory_format=torch.channels_last).train()
    x = torch.randn(4, 1, 48, 48).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = model(x).float().logsumexp(dim=1).mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_registry_lists_the_builtin_models():
    assert {"vgg", "vgg_s", "resnet_s"} <= set(list_models())


def test_unknown_model_lists_valid_names():
    with pytest.raises(MienError, match=r"unknown model 'vggg'; valid: .*vgg_s"):
        create_model("vggg")


def test_bad_arguments_are_a_clear_error():
    with pytest.raises(MienError, match="bad arguments"):
        create_model("vgg_s", depth=3)


def test_duplicate_registration_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_model("vgg")(lambda: None)


def test_a_larger_input_runs_the_same_weights_on_the_face_scaled_up():
    torch.manual_seed(0)
    small = create_model("vgg_s", num_classes=8).eval()
    large = create_model("vgg_s", num_classes=8, input_size=64).eval()
    large.load_state_dict(small.state_dict())  # the same weights, names and shapes
    faces = torch.rand(2, 1, 48, 48)
    with torch.no_grad():
        assert large.features(faces).shape[-2:] == (4, 4)  # 64 px inside, not 48
        scaled = torch.nn.functional.interpolate(faces, size=(64, 64), mode="bilinear", align_corners=False)
        by_hand = small.head[1:](
            torch.nn.functional.avg_pool2d(small.features(scaled), 2, stride=1).flatten(1)
        )
        torch.testing.assert_close(large(faces), by_hand)
        assert not torch.allclose(large(faces), small(faces))
    with pytest.raises(MienError, match="input_size"):
        create_model("vgg_s", input_size=50)


def test_a_stem_halves_the_face_before_the_blocks():
    model = create_model("vgg_s", stem=32, widths=[48, 96, 192], hidden=128).eval()
    first = model.features[0]
    assert (first.stride, first.out_channels) == ((2, 2), 32)
    faces = torch.rand(2, 1, 48, 48)
    with torch.no_grad():
        assert model.features(faces).shape == (2, 192, 3, 3)  # 48 -> 24, then three blocks: 12, 6, 3
        assert create_model("vgg_s", stem=32, widths=[48, 96, 192], input_size=64)(faces).shape == (2, 7)
    with pytest.raises(MienError, match="multiple of 16"):
        create_model("vgg_s", stem=32, widths=[48, 96, 192], input_size=72)
