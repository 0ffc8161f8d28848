import math

import numpy as np
import pytest
import torch

from helpers import experiments, theory
from helpers.activations import ACTIVATIONS


def test_gaussian_expectations_against_closed_forms():
    q = 2.5
    assert theory.gauss_mean(lambda h: h ** 2, q) == pytest.approx(q, rel=1e-6)
    assert theory.gauss_mean(lambda h: torch.relu(h) ** 2, q) == pytest.approx(q / 2, rel=1e-6)
    assert theory.gauss_mean(lambda h: ACTIVATIONS["relu"].derivative(h) ** 2, q) == pytest.approx(0.5, rel=1e-3)
    # small q: sigmoid' ~ 1/4 everywhere that matters
    assert theory.gauss_mean(lambda h: ACTIVATIONS["sigmoid"].derivative(h) ** 2, 1e-6) == pytest.approx(1 / 16, rel=1e-4)


def test_sigma_w2_of_each_init():
    assert theory.sigma_w2("torch_default") == pytest.approx(1 / 3)
    assert theory.sigma_w2("xavier") == pytest.approx(1.0)
    assert theory.sigma_w2("kaiming") == pytest.approx(2.0)
    with pytest.raises(ValueError, match="valid choices"):
        theory.sigma_w2("lecun")


def test_mean_field_closed_form_cases():
    ident = theory.mean_field("identity")
    assert np.allclose(ident.gain, math.sqrt(1 / 3))                       # sigma_w^2 = 1/3, phi' = 1
    assert ident.grad_h_ratio() == pytest.approx((1 / 3) ** 4.5)
    he = theory.mean_field("relu", init="kaiming")
    assert np.allclose(he.gain, 1.0, atol=1e-3) and np.allclose(he.q[1:], he.q[1], rtol=1e-3)  # critical
    assert theory.critical_sigma_w2("relu") == pytest.approx(2.0, rel=1e-3)
    assert theory.mean_field("relu", weight_scale=2.0).gain[3] == pytest.approx(2 * math.sqrt(1 / 6), rel=1e-3)
    profile = theory.mean_field("gelu").grad_h_profile()
    assert profile[-1] == 1.0 and profile[0] == pytest.approx(theory.mean_field("gelu").grad_h_ratio())


@pytest.fixture(scope="module")
def sweep(data):
    return experiments.init_sweep(["sigmoid", "relu", "tanh"], [5, 10], [0, 1, 2, 3], data,
                                  cases={"torch_default": ("torch_default", 1.0), "kaiming": ("kaiming", 1.0)})


def test_theory_predicts_the_measured_per_layer_gain(sweep):
    """Mean field against simulation at depth 10: per-layer gains within 20% (layer 1, fed the raw
    input, is the loosest), the 9-layer ratio within a factor 2."""
    for case in ("torch_default", "kaiming"):
        for name in ("sigmoid", "relu", "tanh"):
            g = sweep.sel("grad_h", case=case, activation=name, depth=10)       # [seed, layer]
            measured = np.exp(np.log(g[:, :-1] / g[:, 1:]).mean(0))
            predicted = theory.mean_field(name, 10, init=case).gain[:-1]
            assert np.allclose(measured, predicted, rtol=0.2), (case, name, measured, predicted)
            ratio = np.exp(np.log(g[:, 0] / g[:, -1]).mean())
            assert 0.5 < ratio / sweep.sel("theory_h", case=case, activation=name, depth=10)[0] < 2


def test_sweep_layout(sweep):
    assert sweep["grad_h"].shape == (2, 3, 2, 4, 10)
    assert np.isnan(sweep.sel("grad_h", case="kaiming", activation="relu", depth=5)[:, 5:]).all()
    assert np.allclose(sweep.sel("theory_h", case="kaiming", activation="relu", depth=5)[4], 1.0)


def test_weight_change_is_zero_without_training_and_grows_with_it(data):
    from helpers.train import TrainConfig
    res = experiments.grid(["tanh"], [0, 1], data, TrainConfig(epochs=5), lrs=[1e-12, 1e-2], depth=3, width=8)
    change = experiments.weight_change(res)                                   # [act, lr, seed, layer]
    assert change.shape == (1, 2, 2, 3)
    assert (change[0, 0] < 1e-9).all() and (change[0, 1] > 1e-3).all()
