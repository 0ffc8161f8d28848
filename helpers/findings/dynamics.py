"""Chapter 6, training dynamics: per-layer gradients at epochs 1, 100 and 200, the update-to-weight
ratio of Adam's steps, and how the pre-activations spread out as training uses the deep layers."""
from __future__ import annotations

import numpy as np

from .. import book, stats
from ..tables import Table

EPOCHS = (1, 100, 200)


def findings() -> dict:
    res = book.seed_run()
    f: dict = {}
    f["grad_tables"] = {e: Table(["layer"] + [str(l) for l in res.coords["layer"]],
                                 [[n] + [f"{stats.geo_rounded(res.sel('grad_h', activation=n, grad_epoch=e)[:, l]):.0e}"
                                         for l in range(len(res.coords["layer"]))] for n in res.coords["activation"]],
                                 f"||dL/dh_l|| after epoch {e} (geometric mean over seeds, one significant digit)")
                        for e in EPOCHS}
    epochs = res.coords["grad_epoch"]
    rows = []
    for name in res.coords["activation"]:
        r = res.sel("update_ratio", activation=name)                       # [seed, grad epoch, layer]
        rows.append([name] + [stats.geo_spread(r[:, epochs.index(e), l - 1]) for l in (1, 10) for e in (1, 100, 500)])
        for l in (1, 10):
            f[f"update_l{l}_ep1_{name}"] = stats.geo_rounded(r[:, epochs.index(1), l - 1])
    f["update_table"] = Table([""] + [f"layer {l}, epoch {e}" for l in (1, 10) for e in (1, 100, 500)], rows,
                              "Update-to-weight ratio ||dW_l|| / ||W_l|| of one Adam step (geometric mean ×/÷ spread)")
    rows = []
    for name in res.coords["activation"]:
        pre = res.sel("hidden_pre", activation=name)                       # [seed, epoch, probe, x, unit]
        spread = np.subtract(*np.percentile(pre.reshape(*pre.shape[:3], -1), [95, 5], axis=-1))  # [seed, epoch, probe]
        rows.append([name] + [stats.at_spread(spread[:, e, p]) for p in range(len(res.coords["probe_layer"]))
                              for e in (0, -1)])
        f[f"spread_l10_end_{name}"] = stats.rounded(spread[:, -1, -1])
        f[f"spread_l10_init_{name}"] = stats.rounded(spread[:, 0, -1])
    f["spread_table"] = Table([""] + [f"layer {l} {w}" for l in res.coords["probe_layer"] for w in ("init", "end")],
                              rows, "Spread of h (5-95% range over inputs and units), mean ± sd over seeds")
    return f
