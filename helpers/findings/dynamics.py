"""Chapter 6, training dynamics: per-layer gradients at epochs 1, 100 and 200, the update-to-weight
ratio of Adam's steps, and how the pre-activations spread out as training uses the deep layers."""
from __future__ import annotations

import math

import numpy as np

from ..analysis import stats
from ..analysis.measures import layer_ratio
from ..experiments import registry
from . import chapter
from .tables import Table, Tables

EPOCHS = (1, 100, 200)
# An Adam step this small relative to the weights is driven by float64 rounding noise in a gradient that
# is zero in exact arithmetic (the converged linear network): its digits differ between CPUs.
UPDATE_FLOOR = 1e-10


def findings() -> dict:
    res = registry.seed_run()
    f: dict = {}
    f["grad_tables"] = Tables({e: Table(["layer"] + [str(l) for l in res.coords["layer"]],
                                 [[n] + [stats.geo_spread(res.sel("grad_h", activation=n, grad_epoch=e)[:, l])
                                         for l in range(len(res.coords["layer"]))] for n in res.coords["activation"]],
                                 f"||dL/dh_l|| after epoch {e} (geometric mean ×/÷ spread over seeds)")
                        for e in EPOCHS})
    for n in ("identity", "sigmoid"):                   # layer 1 / layer 10 after epoch 1
        g = res.sel("grad_h", activation=n, grad_epoch=1)
        f[f"ep1_ratio_{n}"] = stats.geo_rounded(layer_ratio(g))
    seed = chapter("seed")
    for key in ("relu_escape", "sigmoid_escape", "active_l1_end_relu"):
        f[key] = seed[key]
    epochs = res.coords["grad_epoch"]
    rows = []
    for name in res.coords["activation"]:
        r = res.sel("update_ratio", activation=name)                       # [seed, grad epoch, layer]
        rows.append([name] + [stats.geo_spread(r[:, epochs.index(e), l - 1], UPDATE_FLOOR) for l in (1, 10)
                              for e in (1, 100, 500)])
        for l in (1, 10):
            f[f"update_l{l}_ep1_{name}"] = stats.geo_rounded(r[:, epochs.index(1), l - 1], UPDATE_FLOOR)
            f[f"update_l{l}_end_{name}"] = stats.geo_rounded(r[:, -1, l - 1], UPDATE_FLOOR)
    # Adam's first step is lr * sign(g) on every weight with a non-zero gradient: the ratio is lr / RMS(W)
    lr = res.meta["config"]["train"]["lr"]
    f["update_closed_l1"] = float(f"{lr * math.sqrt(3):.2g}")          # layer 1: W ~ U(-1, 1), RMS 1/sqrt(3)
    f["update_closed_l10"] = float(f"{lr * 8 * math.sqrt(3):.2g}")     # 64 inputs: U(-1/8, 1/8), RMS 1/(8 sqrt(3))
    f["update_table"] = Table([""] + [f"layer {l}, epoch {e}" for l in (1, 10) for e in (1, 100, 500)], rows,
                              "Update-to-weight ratio ||dW_l|| / ||W_l|| of one Adam step (geometric mean ×/÷ spread)")
    rows = []
    for name in res.coords["activation"]:
        pre = res.sel("hidden_pre", activation=name)                       # [seed, epoch, probe, x, unit]
        spread = np.subtract(*np.percentile(pre.reshape(*pre.shape[:3], -1), [95, 5], axis=-1))  # [seed, epoch, probe]
        rows.append([name] + [stats.at_spread(spread[:, e, p]) for p in range(len(res.coords["probe_layer"]))
                              for e in (0, -1)])
        for p, l in enumerate(res.coords["probe_layer"]):
            f[f"spread_l{l}_init_{name}"] = stats.rounded(spread[:, 0, p])
            f[f"spread_l{l}_end_{name}"] = stats.rounded(spread[:, -1, p])
    f["spread_table"] = Table([""] + [f"layer {l} {w}" for l in res.coords["probe_layer"] for w in ("init", "end")],
                              rows, "Spread of h (5-95% range over inputs and units), mean ± sd over seeds")
    return f
