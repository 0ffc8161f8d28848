"""Chapter 9's trained grids, joined from runs computed once each, and what is measured on them. PyTorch's
default init is chapter 4's depth series (depth_by_activation, and selu_series for SELU); the "plain" network
at Adam 0.1 is chapter 4's learning-rate sweep. Definitions in helpers.findings.stacks."""
from __future__ import annotations

import warnings

import numpy as np

from ..analysis import failure, stats
from ..analysis.measures import layer_ratio
from ..core.data import make_dataset
from ..core.store import Results
from ..experiments import registry
from ..plotting.style import VARIANT_LABEL  # noqa: F401  (helpers.engine.blocks' layer types as readers name them)
from .stacks_init import CASES

VARIANTS = ("plain",) + registry.BLOCK_VARIANTS
GRAD_EPOCHS = (0, 1, 100, 200, 500)     # the epochs both training paths log gradients at
STATE_EPOCHS = (0, 500)                 # ... and unit states
KEYS = ("loss", "final_test_mse", "diverged_epoch", "grad_h", "unit_states")
FLOOR = 2 * make_dataset().noise_std ** 2


def _engine(res: Results, depths, lr: float) -> dict[str, np.ndarray]:
    """An engine grid with dims (depth, activation, lr, seed, ...) at `depths` and `lr`: arrays
    (depth, activation, seed, ...), layers cut to the deepest network, logs at GRAD_EPOCHS / STATE_EPOCHS."""
    d_idx = [res.index("depth", d) for d in depths]
    out = {}
    for k in KEYS:
        a = np.take(np.take(res[k], d_idx, 0), res.index("lr", lr), 2)
        if k == "grad_h":
            a = a[..., [res.coords["grad_epoch"].index(e) for e in GRAD_EPOCHS], :max(depths)]
        if k == "unit_states":
            a = a[..., [res.coords["state_epoch"].index(e) for e in STATE_EPOCHS], :max(depths), :]
        out[k] = a
    return out


def _joined(parts: list[dict], axis: int) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts], axis) for k in KEYS}


def _grid(arrays: dict, dims: tuple[str, ...], coords: dict, meta: dict) -> Results:
    tails = {"loss": ("epoch",), "final_test_mse": (), "diverged_epoch": (), "grad_h": ("grad_epoch", "layer"),
             "unit_states": ("state_epoch", "layer", "unit_state")}
    return Results(arrays, {k: dims + tails[k] for k in KEYS}, coords, meta)


def init_grid() -> Results:
    """Every activation x init case x depth (10, 20) x seed, trained: dims (case, depth, activation, seed, ...)."""
    depths = list(registry.STACK_DEPTHS)
    default = _joined([_engine(registry.depth_by_activation(), depths, 1e-3),
                       _engine(registry.selu_series(), depths, 1e-3)], 1)
    inits = registry.stack_inits()
    new = {k: inits[k] for k in KEYS}
    new["grad_h"] = new["grad_h"][..., [inits.coords["grad_epoch"].index(e) for e in GRAD_EPOCHS], :]
    new["unit_states"] = new["unit_states"][..., [inits.coords["state_epoch"].index(e) for e in STATE_EPOCHS], :, :]
    arrays = {k: np.concatenate([default[k][None], new[k]], 0) for k in KEYS}
    return _grid(arrays, ("case", "depth", "activation", "seed"),
                 {"case": list(CASES), "depth": depths, "activation": registry.STACK_ACTS, "seed": inits.coords["seed"],
                  "epoch": inits.coords["epoch"], "grad_epoch": list(GRAD_EPOCHS), "state_epoch": list(STATE_EPOCHS),
                  "layer": list(range(1, max(depths) + 1)), "unit_state": inits.coords["unit_state"]}, inits.meta)


def block_grid() -> Results:
    """Every activation x variant x setting x seed, trained at PyTorch's default init: dims (setting, variant,
    activation, seed, ...); "plain" is the engine's network (chapter 4's runs)."""
    blocks = registry.stack_blocks()
    settings = list(registry.BLOCK_SETTINGS.values())
    plain = []
    for depth, lr in settings:
        src = [registry.depth_by_activation() if lr == 1e-3 else registry.lr_sweep(), registry.selu_series()]
        parts = []
        for r in src:
            if "depth" in r.dims["loss"]:
                parts.append({k: v[0] for k, v in _engine(r, [depth], lr).items()})
            else:                                       # the learning-rate sweep: depth 10 only
                parts.append({k: v[0] for k, v in _engine(_as_depth(r, depth), [depth], lr).items()})
        plain.append(_joined(parts, 0))
    arrays = {}
    for k in KEYS:
        p = [_pad_layers(plain[i][k], len(blocks.coords["layer"]), k) for i in range(len(settings))]
        arrays[k] = np.concatenate([np.stack(p)[:, None], blocks[k]], 1)
    return _grid(arrays, ("setting", "variant", "activation", "seed"),
                 {"setting": list(registry.BLOCK_SETTINGS), "variant": list(VARIANTS),
                  "activation": registry.STACK_ACTS,
                  "seed": blocks.coords["seed"], "epoch": blocks.coords["epoch"], "grad_epoch": list(GRAD_EPOCHS),
                  "state_epoch": list(STATE_EPOCHS), "layer": blocks.coords["layer"],
                  "unit_state": blocks.coords["unit_state"]}, blocks.meta)


def _as_depth(res: Results, depth: int) -> Results:
    """A one-depth grid (activation, lr, seed, ...) as a depth series of one depth."""
    return Results({k: res[k][None] for k in KEYS}, {k: ("depth",) + res.dims[k] for k in KEYS},
                   {**res.coords, "depth": [depth]}, res.meta)


def _pad_layers(a: np.ndarray, layers: int, key: str) -> np.ndarray:
    """Pad the layer axis (last for grad_h, second last for unit_states) with NaN to `layers`."""
    axis = {"grad_h": a.ndim - 1, "unit_states": a.ndim - 2}.get(key)
    if axis is None or a.shape[axis] >= layers:
        return a
    pad = list(a.shape)
    pad[axis] = layers - a.shape[axis]
    return np.concatenate([a, np.full(pad, np.nan)], axis)


# ---- measures per run ---------------------------------------------------------------------------------------
def test_mse(res: Results) -> np.ndarray:
    """Final test MSE, NaN where the run diverged (failure's rule 1)."""
    return failure.finite(res["final_test_mse"], res)


def epochs_to_floor(res: Results) -> np.ndarray:
    """The first epoch with train loss below FLOOR; NaN if none."""
    e = stats.first_epoch_below(res["loss"], FLOOR).astype(float)
    return np.where(e < 0, np.nan, e)


def grad_ratio(res: Results, epoch: int) -> np.ndarray:
    """||dL/dh_1|| / ||dL/dh_L|| after `epoch` (NaN-padded shallower networks use their own last layer)."""
    return layer_ratio(res["grad_h"][..., res.coords["grad_epoch"].index(epoch), :])


def off_share(res: Results, epoch: int = 500) -> np.ndarray:
    """Share of hidden units on for no input of the dense grid, over all layers, after `epoch`."""
    off = res["unit_states"][..., res.coords["state_epoch"].index(epoch), :, res.coords["unit_state"].index("off")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(off, -1)


# ---- tables -------------------------------------------------------------------------------------------------
