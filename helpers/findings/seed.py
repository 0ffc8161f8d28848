"""Chapter 1, the seed experiment: fit, landmarks, escape from the plateau, gradient ratios at
initialisation, units off, and what float32 would have changed."""
from __future__ import annotations

import math

import numpy as np

from ..analysis import failure, stats
from ..analysis.measures import layer_ratio
from ..core import activations
from ..core.data import landmarks, make_dataset
from ..experiments import registry
from .tables import Table

LAYERS = (1, 5, 10)


def fit_verdict(mse: float, marks: dict[str, float]) -> str:
    """Where a final train MSE sits among the landmarks (within 25% counts as 'at')."""
    if not np.isfinite(mse):
        return "diverged"
    for key, text in (("noise_floor", "at the noise floor"), ("linear", "at the best straight line"),
                      ("constant", "at the best constant")):
        if abs(mse - marks[key]) <= 0.25 * marks[key]:
            return text
    if mse < marks["noise_floor"]:
        return "below the noise floor (fits some noise)"
    if mse < marks["linear"]:
        return "between the straight line and the noise floor"
    return "worse than a straight line"


def fit_table(res) -> tuple[Table, dict]:
    """Final train and test MSE per activation (mean ± sd over seeds), diverged runs, verdict."""
    marks, rows, glued = res.meta["config"]["landmarks"], [], {}
    div = failure.diverged(res)
    for a, name in enumerate(res.coords["activation"]):
        train = np.where(div[a], np.nan, res.sel("final_train_mse", activation=name))
        test = np.where(div[a], np.nan, res.sel("final_test_mse", activation=name))
        rows.append([activations.get(name).label, stats.at_spread(train), stats.at_spread(test),
                     stats.count(div[a]), fit_verdict(stats.rounded(train), marks)])
        glued[f"train_{name}"], glued[f"test_{name}"] = stats.rounded(train), stats.rounded(test)
    return Table(["activation", "train MSE", "test MSE", "diverged", "verdict"], rows,
                 "Final fit after 500 epochs (mean ± sd over seeds)"), glued


def escape_epochs(res) -> dict[str, np.ndarray]:
    """Per activation and seed: the first epoch whose loss is 10% below the best constant's (-1: never)."""
    constant = res.meta["config"]["landmarks"]["constant"]
    return {n: stats.first_epoch_below(res.sel("loss", activation=n), 0.9 * constant) for n in res.coords["activation"]}


def init_ratios(res) -> Table:
    """Layer 1 / layer 10 of both gradient magnitudes at initialisation (float64; no training)."""
    rows = []
    for name in res.coords["activation"]:
        cells = [stats.geo_spread(layer_ratio(g)) for g in
                 (res.sel(k, activation=name, grad_epoch=0) for k in ("grad_w", "grad_h"))]
        rows.append([name] + cells)
    return Table(["at init, layer 1 / layer 10", "mean |dL/dW_l|", "||dL/dh_l||"], rows,
                 "Gradient ratios at initialisation (geometric mean ×/÷ spread over seeds)")


def off_table(res) -> Table:
    """Fraction of units off (on for no input) in layers 1, 5, 10 at init and after training."""
    off = res.coords["unit_state"].index("off")
    rows = []
    for a, name in enumerate(res.coords["activation"]):
        s = res["unit_states"][a]                                  # [seed, state epoch, layer, state]
        rows.append([name] + [stats.at_spread(s[:, e, l - 1, off]) for l in LAYERS for e in (0, -1)])
    return Table([""] + [f"layer {l} {w}" for l in LAYERS for w in ("init", "end")], rows,
                 "Fraction of a layer's 64 units that are off (on for no input), mean ± sd over seeds")


def precision(res, res32) -> Table:
    """How much the chaotic amplification of float32 rounding moves each final loss, against the
    spread over seeds: the float32 run against the float64 one, same seeds and initial weights."""
    rows = []
    for name in res.coords["activation"]:
        a, b = res.sel("final_test_mse", activation=name), res32.sel("final_test_mse", activation=name)
        rel = np.abs(b - a) / a
        rows.append([name, f"{np.nanmax(rel):.0e}", f"{stats.mean_sd(a)[1] / stats.mean_sd(a)[0]:.0e}"])
    return Table(["activation", "float32 vs float64, largest relative difference", "spread over seeds (sd/mean)"],
                 rows, "Final test MSE in float32 against float64 (same seeds, same initial weights)")


def findings() -> dict:
    res, data = registry.seed_run(), make_dataset()
    marks = landmarks(data)
    f: dict = {f"mark_{k}": round(v, 4) for k, v in marks.items()}
    f["best_line_closed"] = round(0.5 - 3 / math.pi ** 2, 4)   # E[(sin x - a x)^2], a = 3/pi^2, x ~ U(-pi, pi)
    # the landmark on the 200 noisy points = clean residual + noise variance + 2 x their covariance
    x, clean, noise = data.x[:, 0].double(), data.y_clean[:, 0].double(), (data.y - data.y_clean)[:, 0].double()
    a = float((x * clean).sum() / (x * x).sum())
    residual = clean - a * x - float((clean - a * x).mean())
    f["line_clean_200"] = round(float((residual ** 2).mean()), 4)
    f["line_cross_200"] = round(float(2 * (residual * (noise - noise.mean())).mean()), 4)
    f["n_models"], f["n_seeds"] = int(np.prod(res["loss"].shape[:2])), len(res.coords["seed"])
    f["fit_table"], glued = fit_table(res)
    f |= glued
    esc = escape_epochs(res)
    f["escape_table"] = Table(["activation", "escape epoch", "escaped"],
                              [[n, stats.at_spread(np.where(e > 0, e, np.nan)) if (e > 0).any() else "never",
                                stats.count(e > 0)] for n, e in esc.items()],
                              "First epoch 10% below the best constant's loss (mean ± sd over the seeds that escaped)")
    for n in ("sigmoid", "relu", "identity", "tanh"):
        f[f"{n}_escape"] = stats.rounded(esc[n][esc[n] > 0])
    escaped = esc["sigmoid"][esc["sigmoid"] > 0]
    f["sigmoid_escape_min"], f["sigmoid_escape_max"] = ((int(escaped.min()), int(escaped.max())) if escaped.size
                                                        else ("never", "never"))
    f["init_ratio_table"] = init_ratios(res)
    for name in res.coords["activation"]:
        for k, tag in (("grad_w", "w0"), ("grad_h", "h0")):
            g = res.sel(k, activation=name, grad_epoch=0)
            f[f"ratio_{tag}_{name}"] = stats.geo_rounded(layer_ratio(g))
    f["off_table"] = off_table(res)
    off, act = res.coords["unit_state"].index("off"), res.coords["unit_state"].index("active")
    for name in ("relu", "leaky_relu"):
        s = res.sel("unit_states", activation=name)
        f[f"off_l1_end_{name}"] = stats.rounded(s[:, -1, 0, off])
        f[f"active_l1_end_{name}"] = stats.rounded(s[:, -1, 0, act])
    f["precision_table"] = precision(res, registry.precision())
    return f
