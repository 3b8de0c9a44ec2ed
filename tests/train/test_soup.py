import pytest
import torch

from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES
from mien.data.loaders import to_model_input
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.registry import create_model
from mien.train.soup import soup_checkpoints

PREPROCESS = {"size": 48, "mean": 0.5, "std": 0.25}


def write_run(path, name="vgg_s", seed=0):
    torch.manual_seed(seed)
    model = create_model(name)
    with torch.no_grad():  # batch-norm statistics no soup should keep
        for layer in model.modules():
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.fill_(float(seed + 3))
    checkpoint = {
        "model": {"name": name, "args": {}},
        "class_names": list(CLASS_NAMES),
        "preprocess": PREPROCESS,
    }
    save_checkpoint(path, {**checkpoint, "state_dict": model.state_dict()})
    return path


def test_the_soup_holds_the_mean_weights_and_batch_norm_measured_on_training_faces(small_folder, tmp_path):
    paths = [write_run(tmp_path / f"run{seed}.pt", seed=seed) for seed in (1, 2)]

    soup = soup_checkpoints(paths, small_folder)
    save_checkpoint(tmp_path / "soup.pt", soup)

    model = model_from_checkpoint(load_checkpoint(tmp_path / "soup.pt"))
    ingredients = [model_from_checkpoint(load_checkpoint(path)) for path in paths]
    first_conv = [network.features[0].weight for network in ingredients]
    torch.testing.assert_close(model.features[0].weight, (first_conv[0] + first_conv[1]) / 2)
    training_faces = load_fer2013(small_folder).select("train").images
    with torch.no_grad():
        features = model.features[0](to_model_input(training_faces, PREPROCESS))
    torch.testing.assert_close(
        model.features[1].running_mean, features.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5
    )
    assert [source.split(" (")[0] for source in soup["soup"]["sources"]] == [str(path) for path in paths]
    assert soup["soup"]["batch_norm_faces"] == len(training_faces) == 140


def test_runs_of_different_networks_are_refused(small_folder, tmp_path):
    paths = [write_run(tmp_path / "vgg.pt"), write_run(tmp_path / "resnet.pt", name="resnet_s")]
    with pytest.raises(MienError, match="resnet.pt: its model differs"):
        soup_checkpoints(paths, small_folder)


def test_one_checkpoint_is_not_a_soup(small_folder, tmp_path):
    with pytest.raises(MienError, match="at least two"):
        soup_checkpoints([write_run(tmp_path / "run.pt")], small_folder)
