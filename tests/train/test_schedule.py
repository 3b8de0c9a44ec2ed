import math

import pytest

from mien.train.schedule import lr_at


def test_warmup_rises_linearly_to_the_peak():
    rates = [lr_at(s, 100, 0.1, 10, 0.0) for s in range(10)]
    assert rates == pytest.approx([0.01 * (i + 1) for i in range(10)])


def test_cosine_decays_from_peak_to_floor():
    assert lr_at(10, 110, 0.1, 10, 0.01) == pytest.approx(0.1)
    assert lr_at(60, 110, 0.1, 10, 0.01) == pytest.approx(0.001 + 0.099 * 0.5)  # half-way
    assert lr_at(110, 110, 0.1, 10, 0.01) == pytest.approx(0.001)
    decay = [lr_at(s, 110, 0.1, 10, 0.01) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(decay, decay[1:]))


def test_no_warmup_starts_at_the_peak():
    assert lr_at(0, 50, 0.2, 0, 0.0) == pytest.approx(0.2)
    assert lr_at(25, 50, 0.2, 0, 0.0) == pytest.approx(0.1 * (1 + math.cos(math.pi / 2)))
