import pytest
import torch
from torch import nn

from mien.config import TrainConfig
from mien.errors import MienError
from mien.train.optim import clip_gradients, lr_schedule, make_optimizer
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


def test_clipping_covers_every_parameter_the_optimizer_steps():
    model, second_head = nn.Linear(3, 2), nn.Linear(3, 2)  # a head trained beside the model
    optimizer = make_optimizer(nn.ModuleList([model, second_head]), TrainConfig())
    for parameter in [*model.parameters(), *second_head.parameters()]:
        parameter.grad = torch.full_like(parameter, 10.0)
    clip_gradients(optimizer, max_norm=1.0)
    grads = [p.grad for p in [*model.parameters(), *second_head.parameters()]]
    assert torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads])) == pytest.approx(1.0, rel=1e-4)
    assert torch.allclose(second_head.weight.grad, model.weight.grad)  # both scaled alike
