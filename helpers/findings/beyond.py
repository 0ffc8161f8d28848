"""Chapter 12, beyond the eight: Mish, Softplus, sine and Snake measured as the report card measures (helpers.byo.card),
next to the book's eight."""
from __future__ import annotations

import numpy as np

from .. import byo
from ..analysis import stats
from ..byo import card
from ..core.data import make_dataset
from ..experiments import registry


def findings() -> dict:
    with byo.extras_registered():
        return _findings()


def _findings() -> dict:
    new, ref = registry.beyond(), card.book_runs()
    tables = card.rows(new, ref)
    f = {f"{k}_table": t for k, t in tables.items()}
    data = make_dataset()
    everyone = [(n, r) for n, r in new.items()] + [(n, ref) for n in ("relu", "tanh", "gelu", "sigmoid")]
    for name in ("gelu", "silu", "tanh", "elu"):
        f[f"bx_d20_{name}"] = stats.at_spread(ref["depth 20"].sel("final_test_mse", activation=name, depth=20, lr=1e-3))
    f["bx_digits_best_book"] = max(stats.rounded(100 * ref["digits"].sel("final_test_accuracy", init="torch_default",
                                                                         depth=10, activation=n))
                                   for n in registry.ACTS)
    for name, r in everyone:
        train, test, wide = card.seed_task_summary(r["seed task"], name, data)
        f[f"bx_test_{name}"], f[f"bx_wide_{name}"] = test, wide
    for name, r in new.items():
        chi, crit = card.criticality(name)
        f[f"bx_chi_{name}"], f[f"bx_crit_{name}"] = chi, crit
        d20 = r["depth 20"].sel("final_test_mse", activation=name)
        f[f"bx_d20_{name}"] = stats.at_spread(d20)
        f[f"bx_he10_{name}"] = stats.at_spread(r["depth 10, He"].sel("final_test_mse", activation=name))
        f[f"bx_digits_{name}"] = stats.at_spread(100 * r["digits"].sel("final_test_accuracy", activation=name))
    # Does a periodic activation continue the wave? The fit's error outside the training interval only
    res = new["sine"]["seed task"]
    x = np.asarray(res.coords["x_wide"])
    outside = np.abs(x) > np.pi
    for name, r in everyone:
        pred = r["seed task"].sel("pred", activation=name)[..., -1, :]
        err = ((pred[:, outside] - data.y_wide[outside, 0].numpy()) ** 2).mean(-1)
        f[f"bx_outside_{name}"] = stats.at_spread(err)
    return f
