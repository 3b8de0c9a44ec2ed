import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from mien.config import PreprocessConfig
from mien.data.loaders import to_model_input
from mien.train.swa import average_in


def test_the_average_measures_its_batch_norm_statistics_on_the_given_faces():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
    average = AveragedModel(model)
    faces = torch.randint(0, 256, (40, 12, 12), dtype=torch.uint8)
    preprocess = PreprocessConfig(size=12)

    with torch.no_grad():
        model[0].weight.add_(1.0)  # the weights move after the average was made
    average_in(average, model, faces, preprocess, batch_size=20)  # equal batches: mean of means = mean

    torch.testing.assert_close(average.module[0].weight, model[0].weight)  # one model averaged: itself
    with torch.no_grad():
        features = average.module[0](to_model_input(faces, preprocess))
    torch.testing.assert_close(
        average.module[1].running_mean, features.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5
    )
    assert average.n_averaged.item() == 1
