import math

import numpy as np
import pytest
import torch

from helpers.analysis import rebuild
from helpers.core.config import TrainConfig
from helpers.core.models import NetConfig
from helpers.engine.runs import grid
from helpers.experiments import at_init
from helpers.experiments.explorer_stats import on_interval
from helpers.theory import dead_at_birth


def test_first_layer_dead_probability_closed_form_and_monte_carlo():
    assert dead_at_birth.p_dead_first_layer() == pytest.approx(1 / (4 * math.pi))
    assert dead_at_birth.p_dead_first_layer(0.5) == pytest.approx(0.375)
    assert dead_at_birth.p_dead_first_layer_mc(200_000) == pytest.approx(1 / (4 * math.pi), abs=0.002)


def test_point_death_formula_against_simulation():
    bd = at_init.born_dead([2, 4], [1, 5], samples=2000)
    for i, w in enumerate(bd.coords["width"]):
        for j, L in enumerate(bd.coords["depth"]):
            p = dead_at_birth.p_point_dead(w, L)
            assert abs(bd["point_dead"][i, j] - p) < 4 * math.sqrt(p * (1 - p) / 2000) + 1e-3
            assert bd["born_dead"][i, j] <= bd["point_dead"][i, j] + 1e-12  # dead at birth implies point-dead
    assert dead_at_birth.p_point_dead(64, 10) == pytest.approx(10 * 2.0 ** -64, rel=1e-6)


def test_dead_profile_prediction_against_initialised_networks(data):
    res = at_init.init_states(["relu"], list(range(30)), data, inits=("torch_default",))
    measured = res.sel("unit_states", init="torch_default", activation="relu", unit_state="dead").mean(0)
    assert np.allclose(measured, dead_at_birth.relu_dead_profile(), atol=0.05)
    assert dead_at_birth.relu_dead_profile(init="kaiming")[0] == 0.0


def test_on_intervals():
    assert on_interval("identity") == (-math.inf, math.inf)
    lo, hi = on_interval("sigmoid")
    assert lo == pytest.approx(-2.634, abs=1e-3) and hi == pytest.approx(2.634, abs=1e-3)
    assert on_interval("relu")[1] == math.inf


def test_rebuild_returns_the_trained_and_the_initial_networks(data):
    res = grid(["relu", "tanh"], [0, 1], data, TrainConfig(epochs=3), NetConfig(3, 8), device="cpu")
    net = rebuild.trained(res)
    out = net(data.x_test.double())[0][..., 0].detach().numpy()
    mse = ((out - data.y_test[:, 0].numpy()) ** 2).mean(-1).reshape(2, 2)
    assert np.allclose(mse, res["final_test_mse"], rtol=1e-10)
    init = rebuild.initial(res)
    assert [a.name for a in init.acts] == ["relu", "relu", "tanh", "tanh"]
    assert torch.equal(init.flat[1], init.flat[3]) and not torch.equal(init.flat[0], init.flat[1])  # same seed
    change = rebuild.weight_change(res, activation="tanh")
    assert change.shape == (2, 3) and (change > 0).all()


def test_value_sparsity_counts_zero_activations_not_off_units(data):
    """A ReLU unit at h < 0 outputs exactly 0; a sigmoid unit never does, even when it is off."""
    res = grid(["relu", "sigmoid"], [0], data, TrainConfig(epochs=1), NetConfig(3, 8))
    zero = res["value_zero"][:, 0, 0]                                      # [activation, layer] at init
    assert (zero[0] > 0.2).all() and (zero[1] == 0).all()
