import numpy as np
import pytest

from helpers import experiments, store
from helpers.train import TrainConfig


def _tiny(calls):
    def compute():
        calls.append(1)
        return store.Results({"x": np.arange(3.0)}, {"x": ("i",)}, {"i": [0, 1, 2]})
    return compute


def test_cached_computes_once_then_loads(tmp_path):
    calls = []
    a = experiments.cached("demo", {"lr": 0.1}, _tiny(calls), folder=tmp_path)
    b = experiments.cached("demo", {"lr": 0.1}, _tiny(calls), folder=tmp_path)
    experiments.cached("demo", {"lr": 0.2}, _tiny(calls), folder=tmp_path)  # another key: computes
    assert len(calls) == 2 and np.array_equal(a["x"], b["x"])


def test_corrupt_cache_file_is_a_clear_error(tmp_path):
    path = experiments.cache_path("demo", {"k": 1}, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a file")
    with pytest.raises(store.ResultsFileError, match=f"{path.name}.*delete it and rerun"):
        experiments.cached("demo", {"k": 1}, _tiny([]), folder=tmp_path)


def test_grid_dims_and_coords(data):
    res = experiments.grid(["relu", "gelu"], [0, 1], data, TrainConfig(epochs=3), lrs=[1e-3, 1e-2],
                           depth=3, width=8, device="cpu")
    assert res.dims["loss"] == ("activation", "lr", "seed", "epoch") and res["loss"].shape == (2, 2, 2, 3)
    assert res.coords["lr"] == [1e-3, 1e-2]
    assert res.coords["activation"] == ["relu", "gelu"] and res.coords["seed"] == [0, 1]
    assert res.meta["config"]["init"] == "torch_default" and "torch" in res.meta["versions"]


@pytest.mark.parametrize("kwargs,match", [(dict(seeds=0), "seeds must be"), (dict(activations=("relu", "x")),
                                          "unknown activation 'x'"), (dict(depth=0), "depth must be"),
                                          (dict(init="orthogonal"), "valid choices")])
def test_baseline_config_is_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        experiments.Baseline(**kwargs)


def test_grid_refuses_bad_learning_rates(data):
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        experiments.grid(["relu"], [0], data, TrainConfig(epochs=2), lrs=[1e-3, -1.0], depth=2, width=4)
