import numpy as np
import pytest

from helpers.core.config import TrainConfig
from helpers.core.models import NetConfig
from helpers.engine.runs import concat, grid, stacked, take
from helpers.experiments import registry


def test_grid_dims_and_coords(data):
    res = grid(["relu", "gelu"], [0, 1], data, TrainConfig(epochs=3), NetConfig(3, 8), lrs=[1e-3, 1e-2], device="cpu")
    assert res.dims["loss"] == ("activation", "lr", "seed", "epoch") and res["loss"].shape == (2, 2, 2, 3)
    assert res.coords["lr"] == [1e-3, 1e-2]
    assert res.coords["activation"] == ["relu", "gelu"] and res.coords["seed"] == [0, 1]
    assert res.meta["config"]["init"] == "torch_default" and "torch" in res.meta["versions"]
    assert res.meta["config"]["data"]["text"].startswith("y = sin(x) + N(0, 0.1^2)")


def test_stacked_pads_layers_and_concat_take_round_trip(data):
    cfg = TrainConfig(epochs=2)
    a, b = (grid(["relu", "tanh"], [0], data, cfg, NetConfig(d, 4)) for d in (2, 3))
    s = stacked([a, b], "depth", [2, 3], ("unit_states", "loss"))
    assert s["unit_states"].shape[:2] == (2, 2) and s.coords["layer"] == [1, 2, 3]
    assert np.isnan(s["unit_states"][0, ..., 2, :]).all() and not np.isnan(s["unit_states"][1]).any()
    parts = [take(a, "activation", ["relu"]), take(a, "activation", ["tanh"])]
    joined = concat(parts, "activation")
    assert joined.coords["activation"] == ["relu", "tanh"] and np.array_equal(joined["loss"], a["loss"])


@pytest.mark.parametrize("kwargs,match", [(dict(seeds=0), "seeds must be"), (dict(activations=("relu", "x")),
                                          "unknown activation 'x'"),
                                          (dict(net=(20, 64)), "net must be a NetConfig")])
def test_baseline_config_is_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        registry.Baseline(**kwargs)


def test_grid_refuses_bad_learning_rates(data):
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        grid(["relu"], [0], data, TrainConfig(epochs=2), NetConfig(2, 4), lrs=[1e-3, -1.0])


def test_every_shared_run_has_pieces_and_a_cost():
    tasks = registry.tasks()
    assert {run for run, _, _ in tasks} == {"seed_run"} | set(registry.RUNS)
    assert all(cost > 0 for _, _, cost in tasks) and tasks == sorted(tasks, key=lambda t: -t[2])
