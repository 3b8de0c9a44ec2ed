import numpy as np
import pytest
import torch
from torch import nn

from mien.errors import MienError
from mien.explain import create_explainer, explain, list_explainers
from mien.models.registry import FaceClassifier, create_model


class Linear(nn.Module):
    """logit_k = sum(w_k * x): attributions of linear models are known in closed form."""

    def __init__(self, weights: torch.Tensor):
        super().__init__()
        self.weights = weights  # (K, 1, H, W)

    def forward(self, x):
        return (x.unsqueeze(1) * self.weights).flatten(2).sum(dim=2)


@pytest.fixture
def linear():
    torch.manual_seed(0)
    return Linear(torch.randn(3, 1, 16, 16))


def test_integrated_gradients_of_a_linear_model_are_input_times_weight(linear):
    x = torch.randn(1, 1, 16, 16)
    raw = create_explainer("integrated_gradients").attribute(linear, x, target=2)
    torch.testing.assert_close(raw, (x - 0.0) * linear.weights[2], atol=1e-5, rtol=1e-4)


def test_saliency_of_a_linear_model_is_the_weight_magnitude(linear):
    raw = create_explainer("saliency").attribute(linear, torch.randn(1, 1, 16, 16), target=1)
    torch.testing.assert_close(raw, linear.weights[1].abs().unsqueeze(0))


def test_occlusion_of_a_sum_of_pixels_model_equals_the_window_sums():
    explainer = create_explainer("occlusion")
    explainer.window = explainer.stride = 4  # non-overlapping windows: each pixel gets its window's drop
    explainer.baseline = 0.0
    model = Linear(torch.ones(1, 1, 16, 16))
    x = torch.rand(1, 1, 16, 16)
    raw = explainer.attribute(model, x, target=0)[0, 0]
    window_sums = x[0, 0].reshape(4, 4, 4, 4).sum(dim=(1, 3))  # (4, 4): one sum per 4x4 window
    torch.testing.assert_close(raw, window_sums.repeat_interleave(4, 0).repeat_interleave(4, 1))


@pytest.mark.parametrize("method", list_explainers())
def test_every_method_returns_a_normalised_map_for_any_model(method):
    torch.manual_seed(0)
    model = create_model("vgg_s").eval()
    x = torch.randn(1, 1, 48, 48)
    heat, target = explain(model, x, method)
    assert heat.shape == (48, 48) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() <= 1
    assert target == int(model(x).argmax())
    _, chosen = explain(model, x, method, target=5)
    assert chosen == 5


def test_bad_targets_and_batches_are_clear_errors():
    model = create_model("vgg_s").eval()
    with pytest.raises(MienError, match="not one of the model's 7 classes"):
        explain(model, torch.randn(1, 1, 48, 48), "saliency", target=7)
    with pytest.raises(MienError, match="one face at a time"):
        explain(model, torch.randn(2, 1, 48, 48), "saliency")
    with pytest.raises(MienError, match="unknown explanation method 'lime'; valid: gradcam"):
        create_explainer("lime")


def test_gradcam_leaves_no_hooks_behind():
    model: FaceClassifier = create_model("vgg_s").eval()

    def hook_count():
        return sum(len(m._forward_hooks) + len(m._backward_hooks) for m in model.modules())

    before = hook_count()
    explain(model, torch.randn(1, 1, 48, 48), "gradcam")
    assert hook_count() == before


def test_maps_explain_the_log_probability_not_the_logit():
    # Two classes whose logits rise together: the pixel that raises class 0's logit most raises
    # class 1's even more, so it is evidence against class 0.
    weights = torch.zeros(2, 1, 4, 4)
    weights[0, 0, 0, 0], weights[1, 0, 0, 0] = 1.0, 3.0
    weights[0, 0, 3, 3] = 0.5
    heat, _ = explain(Linear(weights), torch.ones(1, 1, 4, 4), "integrated_gradients", target=0)
    assert heat[0, 0] == 0.0 and heat[3, 3] == 1.0


def test_predictor_explains_every_face_and_maps_back_to_the_photo(untrained_checkpoint):
    from skimage import data

    from mien.pipeline import Predictor
    from mien.render.heatmap import map_to_frame

    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    photo = data.astronaut()
    [explanation] = predictor.explain(photo, method="saliency", target="sad")
    assert explanation.target == "sad" and explanation.score == pytest.approx(
        explanation.prediction.scores["sad"]
    )
    assert explanation.heat.shape == (48, 48)
    on_photo = map_to_frame(explanation.heat, explanation.aligned, photo.shape)
    assert on_photo.shape == photo.shape[:2]
    x, y, w, h = explanation.prediction.box.as_list()
    rows, cols = np.nonzero(on_photo)
    weights = on_photo[rows, cols]
    centre_x, centre_y = np.average(cols, weights=weights), np.average(rows, weights=weights)
    assert x < centre_x < x + w and y < centre_y < y + h  # the map lands on the face
    [aligned] = predictor.explain(photo[60:180, 170:280], method="gradcam", aligned=True)
    assert aligned.prediction.box.as_list() == [0, 0, 110, 120]
    with pytest.raises(MienError, match="unknown class 'bored'"):
        predictor.explain(photo, target="bored")


def test_explain_command_writes_pngs_maps_and_json(untrained_checkpoint, tmp_path):
    import json

    from click.testing import CliRunner
    from skimage import data

    from mien.cli import cli
    from mien.outputs import write_png

    write_png(tmp_path / "astronaut.png", data.astronaut())
    out = tmp_path / "out"
    args = ["explain", str(tmp_path / "astronaut.png"), "--method", "all", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--checkpoint", str(untrained_checkpoint)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "astronaut_explanations.json").read_text())
    assert sorted(e["method"] for e in record["explanations"]) == list_explainers()
    for entry in record["explanations"]:
        assert (out / entry["png"]).read_bytes()[:4] == b"\x89PNG"
        heat = np.load(out / entry["map"])
        assert heat.shape == (48, 48) and entry["png"].endswith(f"_{entry['method']}.png")


def test_randomisation_check_scores_one_for_an_unchanged_model_and_less_for_a_random_one(monkeypatch):
    from mien.explain import sanity

    torch.manual_seed(0)
    model = create_model("vgg_s").eval()
    faces = torch.randn(3, 1, 48, 48)
    random = sanity.rank_correlations(model, faces, ["saliency"])["saliency"]
    monkeypatch.setattr(sanity, "randomised", lambda model: model)
    same = sanity.rank_correlations(model, faces, ["saliency"])["saliency"]
    assert same == pytest.approx(1.0)
    assert random < 0.9


def test_region_shares_of_hand_made_maps():
    from mien.explain.regions import region_masks, region_shares

    masks = region_masks(48)
    assert not any(
        (masks[a] & masks[b]).any() for a, b in [("eyes", "nose"), ("nose", "mouth"), ("eyes", "mouth")]
    )
    only_mouth = masks["mouth"].astype(np.float32)
    assert region_shares(only_mouth, masks) == {"eyes": 0.0, "nose": 0.0, "mouth": 1.0}
    flat = np.ones((48, 48), np.float32)
    assert region_shares(flat, masks)["eyes"] == pytest.approx(masks["eyes"].mean())
    assert region_shares(np.zeros((48, 48), np.float32), masks) is None


def test_region_report_command_on_synthetic_data(untrained_checkpoint, small_csv, tmp_path):
    import json

    from click.testing import CliRunner

    from mien.cli import cli

    args = [
        "explain-report",
        "--data",
        str(small_csv),
        "--methods",
        "saliency,occlusion",
        "--out",
        str(tmp_path),
    ]
    result = CliRunner().invoke(cli, [*args, "--checkpoint", str(untrained_checkpoint), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    counted = sum(e["faces"] + e["empty"] for per in report["classes"].values() for e in per.values())
    assert counted == 2 * 35  # every PublicTest face, once per method
    assert (tmp_path / "region_report.png").read_bytes()[:4] == b"\x89PNG"
