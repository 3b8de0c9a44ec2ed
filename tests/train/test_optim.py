import pytest
import torch
from torch import nn

from mien.config import TrainConfig
from mien.errors import MienError
from mien.train.optim import lr_schedule, make_optimizer
from mien.train.schedule import lr_at


def test_biases_and_norm_scales_are_not_decayed():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 7))
    optimizer = make_optimizer(model, TrainConfig(weight_decay=5e-4))
    decayed, undecayed = optimizer.param_groups
    conv, norm, linear = model[0], model[1], model[3]
    assert decayed["weight_decay"] == 5e-4 and undecayed["weight_decay"] == 0.0
    assert {id(p) for p in decayed["params"]} == {id(conv.weight), id(linear.weight)}
    assert {id(p) for p in undecayed["params"]} == {
        id(conv.bias),
        id(norm.weight),
        id(norm.bias),
        id(linear.bias),
    }


def test_the_optimizer_is_chosen_by_name():
    model = nn.Linear(3, 2)
    sgd = make_optimizer(model, TrainConfig(optimizer="sgd", momentum=0.8))
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["nesterov"] and sgd.defaults["momentum"] == 0.8
    assert isinstance(make_optimizer(model, TrainConfig(optimizer="adamw")), torch.optim.AdamW)
    with pytest.raises(MienError, match="valid: sgd, adamw"):
        make_optimizer(model, TrainConfig(optimizer="lion"))


def test_the_schedule_spans_the_whole_run():
    settings = TrainConfig(epochs=4, lr=0.1, warmup_epochs=0.5, final_lr_fraction=0.01)
    lr_for_step = lr_schedule(settings, steps_per_epoch=10)  # 40 steps, 5 of them warm-up
    assert lr_for_step(0) == pytest.approx(0.02)
    assert lr_for_step(4) == pytest.approx(0.1)
    assert lr_for_step(39) == lr_at(39, total_steps=40, peak_lr=0.1, warmup_steps=5, final_fraction=0.01)
    assert lr_for_step(40) == pytest.approx(0.001)
