"""The four answers in numbers: the key figures the chapters state (same names, same computations),
the cheat sheet, and the per-question sections of report.md. Everything loads the cached runs."""
from __future__ import annotations

import math

import numpy as np
import torch

from . import activations, experiments, failure, probes, report, stats, theory
from .data import make_dataset


def key_numbers() -> dict[str, float]:
    """The numbers the summary restates, named as the chapters glue them (a test compares them)."""
    data = make_dataset()
    res = experiments.baseline()
    marks = res.meta["config"]["landmarks"]
    k: dict[str, float] = {}
    # chapter 1
    for name in ("identity", "sigmoid", "relu", "gelu"):
        k[f"train_{name}"] = stats.rounded(res.sel("final_train_mse", activation=name))
        k[f"test_{name}"] = stats.rounded(res.sel("final_test_mse", activation=name))
    k["sigmoid_escape"] = stats.rounded(stats.first_epoch_below(res.sel("loss", activation="sigmoid"),
                                                                0.9 * marks["constant"]))
    # chapter 2
    sweep = experiments.init_sweep(["sigmoid", "relu"], [10, 50], list(range(5)), data,
                                   cases={c: experiments.INIT_CASES[c] for c in ("torch_default", "kaiming")})
    for name in ("sigmoid", "relu"):
        g = sweep.sel("grad_h", case="torch_default", activation=name, depth=10)
        k[f"meas_default_{name}"] = float(f"{stats.geo_mean(g[:, 0] / g[:, 9]):.1e}")
        k[f"pred_torch_default_{name}"] = float(f"{theory.mean_field(name).grad_h_ratio():.1e}")
    g = sweep.sel("grad_h", case="kaiming", activation="relu", depth=50)
    k["d50_kaiming_relu"] = float(f"{stats.geo_mean(g[:, 0] / g[:, 49]):.0e}")
    # chapter 3
    k["p_dead1"] = round(theory.p_dead_first_layer(), 4)
    init = experiments.init_states(["relu"], list(range(50)), data)
    k["dead10_torch_default"] = round(float(init.sel("unit_states", activation="relu", unit_state="dead").mean(0)[-1]), 2)
    off_i = res.coords["unit_state"].index("off")
    for name in ("relu", "leaky_relu"):
        k[f"off_end_{name}"] = stats.rounded(res.sel("unit_states", activation=name)[:, -1, :, off_i].mean(-1))
    lr = experiments.lr_sweep()
    off = lr.sel("unit_states", activation="relu", unit_state="off", lr=0.1)[:, -1].mean(-1)
    k["off_lr01_relu"] = round(float(off.mean()), 2)
    k["mse_lr01_relu"] = float(f"{np.median(lr.sel('final_train_mse', activation='relu', lr=0.1)):.2g}")
    # chapter 4
    for name, ok in failure.converged_lrs(lr).items():
        k[f"adam_max_ok_{name}"] = float(ok.max())
    sharp, _ = experiments.curvature_at_init(data)
    for name, s in sharp.items():
        k[f"sharp_{name}"] = float(f"{stats.geo_mean(s):.2g}")
        k[f"bound_{name}"] = float(f"{2 / stats.geo_mean(s):.2g}")
    # chapter 5
    k["pieces_trained_relu"] = int(np.median(probes.linear_pieces(
        experiments.rebuild(res, activation="relu", dtype=torch.float64))))
    budget = experiments.budget_grid()
    med = np.median(budget["final_test_mse"], -1)
    for shape in ("1x700", "8x17"):
        k[f"sin6_relu_{shape}"] = round(float(med[budget.index("shape", shape), budget.index("target", "sin(6x)"),
                                                  budget.index("activation", "relu")]), 3)
    tent = experiments.tent_training()
    k["tent_4_2"] = round(float(np.median(tent["test_mse_L4_W2"])), 3)
    k["tent_10_64"] = round(float(np.median(tent["test_mse_L10_W64"])), 3)
    return k


def cheat_sheet() -> tuple[list[str], list[list[str]]]:
    """activation x {range, max |phi'|, deep-layer gain at default / He init, units off after the seed
    run, can a unit die exactly, Adam learning rates that converged, smoothness, cost}."""
    res, converged = experiments.baseline(), failure.converged_lrs(experiments.lr_sweep())
    off_i = res.coords["unit_state"].index("off")
    x = torch.linspace(-1e4, 1e4, 2_000_001, dtype=torch.float64)
    near = torch.linspace(-10, 10, 20_001, dtype=torch.float64)
    rows = []
    for name in activations.SEED_ACTIVATIONS + ("tanh",):
        act = activations.get(name)
        y = act.fn(x)
        lo = "-inf" if y[0] < -50 else f"{float(y.min()):.2g}"   # the infimum / supremum on the line
        hi = "inf" if y[-1] > 50 else f"{float(y.max()):.2g}"
        g = [theory.mean_field(name, init=i).gain[-1] for i in ("torch_default", "kaiming")]
        # a unit can die exactly if phi' is exactly 0 on a whole interval, not just at a point
        dies = float((act.derivative(near) == 0).double().mean()) > 0.01
        if name in res.coords["activation"]:
            off = f"{float(res.sel('unit_states', activation=name)[:, -1, :, off_i].mean()):.2f}"
            ok = converged[name]
            lrs = f"{ok.min():.2g} to {ok.max():.2g}" if ok.size else "none"
        else:
            off, lrs = "-", "not measured"
        rows.append([act.label, f"{lo} to {hi}", f"{act.max_slope:.3g}", f"{g[0]:.2f} / {g[1]:.2f}", off,
                     "yes" if dies else "no", lrs, f"{act.smoothness}; {act.cost}"])
    header = ["activation", "range", "max |phi'|", "gain default / He", "off after seed run",
              "dies exactly", "Adam lr that converged", "smoothness; cost"]
    return header, rows


def question_sections(k: dict[str, float] | None = None) -> str:
    """The four answers, as Markdown sections for report.md (numbers from key_numbers)."""
    k = k or key_numbers()
    sheet = report.md_table(*cheat_sheet())
    return "\n".join([
        "## The four questions (from the book's shared runs in .cache/)", "",
        "### 1. Gradient flow",
        f"At PyTorch's default init the backpropagated signal ||dL/dh_l|| shrinks from layer 10 to layer 1 by "
        f"{k['meas_default_sigmoid']:.1e} for sigmoid and {k['meas_default_relu']:.1e} for ReLU (mean-field "
        f"predictions {k['pred_torch_default_sigmoid']:.1e} and {k['pred_torch_default_relu']:.1e}). He init makes "
        f"ReLU critical ({k['d50_kaiming_relu']:.0e} at 50 layers). Training reshapes the profile; sigmoid's "
        f"vanishing lasts as long as its plateau (escape around epoch {k['sigmoid_escape']}).", "",
        "### 2. Sparsity and dead units",
        f"A first-layer ReLU unit is dead at birth with probability 1/(4 pi) = {k['p_dead1']}; at layer 10 "
        f"{k['dead10_torch_default']} of units are. After the seed run {k['off_end_relu']} of ReLU and "
        f"{k['off_end_leaky_relu']} of Leaky ReLU units are off for every input. At Adam lr 0.1, "
        f"{k['off_lr01_relu']} of ReLU units end off and the fit collapses (median train MSE {k['mse_lr01_relu']}).",
        "",
        "### 3. Stability",
        f"With Adam the largest learning rate that converged: ReLU {k['adam_max_ok_relu']:g}, Leaky ReLU "
        f"{k['adam_max_ok_leaky_relu']:g}, GELU {k['adam_max_ok_gelu']:g}, sigmoid {k['adam_max_ok_sigmoid']:g}. "
        f"Gradient descent breaks just above 2/sharpness: {k['bound_sigmoid']:g} for sigmoid (sharpness "
        f"{k['sharp_sigmoid']:g}), {k['bound_relu']:g} for ReLU.", "",
        "### 4. Expressivity",
        f"A trained 10 x 64 ReLU network has about {k['pieces_trained_relu']} linear pieces. At ~2,100 parameters, "
        f"ReLU fits sin(6x) to test MSE {k['sin6_relu_1x700']} with one layer of 700 units and "
        f"{k['sin6_relu_8x17']} with eight of 17. A depth-4 width-2 network can represent the 16-piece tent map "
        f"exactly, yet trained ends at {k['tent_4_2']} (the seed network: {k['tent_10_64']}).", "",
        "### Cheat sheet", "", *sheet, ""])


def is_close(a: float, b: float) -> bool:
    """Equality for glued numbers (already rounded the same way in both places)."""
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
