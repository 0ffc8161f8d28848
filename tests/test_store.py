import numpy as np
import pytest

from helpers.core import store


def _results():
    return store.Results({"loss": np.arange(6.0).reshape(2, 3), "div": np.array([-1, 4])},
                         {"loss": ("activation", "epoch"), "div": ("activation",)},
                         {"activation": ["relu", "gelu"], "epoch": [1, 2, 3]},
                         {"config": {"lr": 1e-3}, "arrays": {"loss": {"units": "MSE", "doc": "train"}}})


def test_round_trip_keeps_arrays_dims_coords_and_meta(tmp_path):
    path = store.save(_results(), tmp_path / "r.npz")
    r = store.load(path)
    assert np.array_equal(r["loss"], np.arange(6.0).reshape(2, 3)) and r["div"].dtype.kind == "i"
    assert r.dims["loss"] == ("activation", "epoch") and r.coords["epoch"] == [1, 2, 3]
    assert r.meta["config"] == {"lr": 1e-3} and "created" in r.meta
    assert np.array_equal(r.sel("loss", activation="gelu"), [3.0, 4.0, 5.0])
    assert r.sel("loss", activation="relu", epoch=3) == 2.0
    assert "loss [activation=2, epoch=3] (MSE): train" in r.describe()
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]  # no temporary file left behind


def test_selection_errors_name_the_choices(tmp_path):
    r = _results()
    with pytest.raises(ValueError, match=r"activation='tanh' is not in this file; valid choices: \['relu', 'gelu'\]"):
        r.sel("loss", activation="tanh")
    with pytest.raises(KeyError, match="this file has: loss, div"):
        r["grad"]
    with pytest.raises(ValueError, match="needs dims"):
        store.Results({"x": np.zeros(3)}, {}, {})


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_file_gives_a_clear_error_naming_it(tmp_path, damage):
    path = store.save(_results(), tmp_path / "r.npz")
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"not a zip at all" * 10, "empty": b""}[damage])
    with pytest.raises(store.ResultsFileError, match=f"{path}.*truncated or corrupt"):
        store.load(path)


def test_foreign_npz_and_missing_file(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(store.ResultsFileError, match="other.npz"):
        store.load(tmp_path / "other.npz")
    with pytest.raises(store.ResultsFileError, match="no results file at"):
        store.load(tmp_path / "missing.npz")


def test_pickled_content_is_refused(tmp_path):
    np.savez(tmp_path / "p.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(store.ResultsFileError):
        store.load(tmp_path / "p.npz")
