import math

import numpy as np
import pytest

from helpers import experiments, probes, theory
from helpers.activations import ACTIVATIONS


def test_first_layer_dead_probability_closed_form_and_monte_carlo():
    assert theory.p_dead_first_layer() == pytest.approx(1 / (4 * math.pi))
    assert theory.p_dead_first_layer(0.5) == pytest.approx(0.375)
    assert theory.p_dead_first_layer_mc(200_000) == pytest.approx(1 / (4 * math.pi), abs=0.002)


def test_point_death_formula_against_simulation():
    bd = experiments.born_dead([2, 4], [1, 5], samples=2000)
    for i, w in enumerate(bd.coords["width"]):
        for j, L in enumerate(bd.coords["depth"]):
            p = theory.p_point_dead(w, L)
            assert abs(bd["point_dead"][i, j] - p) < 4 * math.sqrt(p * (1 - p) / 2000) + 1e-3
            assert bd["born_dead"][i, j] <= bd["point_dead"][i, j] + 1e-12  # dead at birth implies point-dead
    assert theory.p_point_dead(64, 10) == pytest.approx(10 * 2.0 ** -64, rel=1e-6)


def test_dead_profile_prediction_against_initialised_networks(data):
    res = experiments.init_states(["relu"], list(range(30)), data)
    measured = res.sel("unit_states", activation="relu", unit_state="dead").mean(0)
    assert np.allclose(measured, theory.relu_dead_profile(), atol=0.05)
    assert theory.relu_dead_profile(init="kaiming")[0] == 0.0


def test_on_intervals():
    assert probes.on_interval(ACTIVATIONS["identity"]) == (-math.inf, math.inf)
    lo, hi = probes.on_interval(ACTIVATIONS["sigmoid"])
    assert lo == pytest.approx(-2.634, abs=1e-3) and hi == pytest.approx(2.634, abs=1e-3)
    assert probes.on_interval(ACTIVATIONS["relu"])[1] == math.inf


def test_rebuild_returns_the_trained_networks(data):
    from helpers.train import TrainConfig
    res = experiments.grid(["relu", "tanh"], [0, 1], data, TrainConfig(epochs=3), depth=3, width=8, device="cpu")
    net = experiments.rebuild(res, dtype=__import__("torch").float64)
    out = net(data.x_test)[0][..., 0].detach().numpy()
    mse = ((out - data.y_test[:, 0].numpy()) ** 2).mean(-1).reshape(2, 2)
    assert np.allclose(mse, res["final_test_mse"], rtol=1e-5)
    assert [a.name for a in experiments.networks_at(res, "init").acts] == ["relu", "relu", "tanh", "tanh"]
