"""Chapter 2, gradient flow: the mean-field theory (fixed point, chi_1, depth scale, the edge of
chaos) against measurements at initialisation across depth and init, during training, and under
other optimizers."""
from __future__ import annotations

import math

import numpy as np

from .. import theory
from ..analysis import failure, measures, rebuild, stats
from ..analysis.measures import layer_ratio
from ..core import activations
from ..core.data import make_dataset
from ..core.models import INITS
from ..experiments import registry
from .tables import Table

REPORT_EPOCHS = (0, 1, 100, 200, 500)


def theory_misfits(sweep, case: str, depths) -> dict[str, float]:
    """Per activation, the largest factor between the measured layer 1 / layer L ratio of ||dL/dh_l|| at
    initialisation (geometric mean over seeds) and the mean-field prediction, over the given depths; `sweep` has
    grad_h (case, depth, activation, seed, layer) and theory_h (case, depth, activation, layer) by name."""
    out = {}
    for name in sweep.coords["activation"]:
        worst = 1.0
        for d in depths:
            meas = stats.geo_mean(layer_ratio(sweep.sel("grad_h", case=case, depth=d, activation=name)[:, :d]))
            pred = sweep.sel("theory_h", case=case, depth=d, activation=name)[0]
            worst = max(worst, meas / pred, pred / meas)
        out[name] = worst
    return out


def training_ratios(res, kind: str) -> Table:
    """Layer 1 / layer 10 of a gradient magnitude over training (first steps' mean, then epochs)."""
    rows = []
    for name in res.coords["activation"]:
        steps = np.nanmean(res.sel(kind + "_steps", activation=name), axis=-2)          # [seed, layer]
        cells = [stats.geo_spread(layer_ratio(steps))]
        cells += [stats.geo_spread(layer_ratio(res.sel(kind, activation=name, grad_epoch=e))) for e in REPORT_EPOCHS]
        rows.append([name] + cells)
    title = {"grad_w": "mean |dL/dW_l|", "grad_h": "||dL/dh_l||"}[kind]
    return Table(["activation", "first 10 steps"] + [f"epoch {e}" for e in REPORT_EPOCHS], rows,
                 f"{title}, layer 1 / layer 10 (geometric mean ×/÷ spread over seeds)")


def first_crossing(ratio: np.ndarray, epochs: list[int], level: float = 1.0) -> np.ndarray:
    """Per run (last axis = `epochs`): the first epoch at which ratio >= level; -1 if never."""
    above = np.asarray(ratio) >= level
    return np.where(above.any(-1), np.asarray(epochs)[above.argmax(-1)], -1)


def crossing_cell(epochs: np.ndarray) -> str:
    """When a ratio crosses, over seeds: mean ± sd of the crossing epoch and how many seeds cross at all
    (a single trajectory's epoch is not a measurement another CPU repeats)."""
    hit = np.asarray(epochs)[np.asarray(epochs) >= 0]
    seeds = f"({hit.size}/{np.size(epochs)} seeds)"
    if not hit.size:
        return "never " + seeds
    return f"{hit[0]} {seeds}" if (hit == hit[0]).all() else f"{stats.at_spread(hit)} {seeds}"


def fixed_point_table(names, inits) -> Table:
    """Per activation and init: the fixed point q*, chi_1 there and the depth scale xi = 1/|log chi_1| over
    which deep gradients shrink (or grow) by a factor e; 'inf' beyond 1e5 layers (criticality)."""
    header, rows = ["activation"], []
    for init in inits:
        header += [f"{init}: q*", "chi_1", "xi"]
    for name in names:
        row = [name]
        for init in inits:
            vw, vb = theory.weight_variance(init, 64, 64)
            q, c = theory.chi_1(name, 64 * vw, vb)
            xi = "inf" if abs(c - 1) < 1e-5 else f"{abs(theory.depth_scale(c)):.3g}" + (" (grows)" if c > 1 else "")
            row += [f"{q:.3g}", f"{c:.3f}", xi]
        rows.append(row)
    return Table(header, rows, "Deep-layer fixed point q*, chi_1 there, and the depth scale xi of vanishing "
                               "(or growing) gradients")


def critical_table(names) -> tuple[Table, dict]:
    rows, glued = [], {}
    for name in names:
        c = theory.critical_sigma_w2(name)
        if math.isfinite(c):
            q, x = theory.chi_1(name, c)
            rows.append([name, f"{c:.3g}", f"{q:.3g}", "yes"])
        else:
            lo, hi = theory.critical_jump(name)
            below, above = theory.chi_1(name, lo)[1], theory.chi_1(name, hi)[1]
            rows.append([name, f"none: jumps at {lo:.3g}", "0 / inf", f"no (chi_1 {below:.2f} -> {above:.2f})"])
            glued[f"jump_{name}"], glued[f"jump_below_{name}"], glued[f"jump_above_{name}"] = \
                round(lo, 2), round(below, 2), round(above, 2)
        glued[f"critical_{name}"] = float(f"{c:.3g}") if math.isfinite(c) else "none"
        if math.isfinite(c):
            glued[f"critical_q_{name}"] = float(f"{theory.chi_1(name, c)[0]:.2g}")
    return Table(["activation", "critical sigma_w^2", "q* there", "chi_1 = 1 reachable"], rows,
                 "The edge of chaos at zero bias, from inputs of unit variance"), glued


def gains_after_training(res, data) -> Table:
    """Why the profile flips: the backward gain of the hidden weight matrices (mean over layers 2..10)
    for a random direction (what mean field assumes), for the actual gradient, and at most (the top
    singular value), at init and after training (measures.signal_gains)."""
    rows = []
    x, y = data.x.double(), data.y.double()
    for name in res.coords["activation"]:
        cells = []
        for net in (rebuild.initial(res, activation=name), rebuild.trained(res, activation=name)):
            g = measures.signal_gains(net, x, y).mean(1).numpy()               # [seed, 3]
            cells += [stats.at_spread(g[:, i]) for i in range(3)]
        rows.append([name] + cells)
    return Table(["activation", "init: random", "signal", "top", "end: random", "signal", "top"], rows,
                 "Gain of one backward step through W_l (mean over layers): a random direction, the actual "
                 "gradient, the largest singular value (mean ± sd over seeds)")


def optimizer_table(opt) -> tuple[Table, dict]:
    constant = opt.meta["config"]["landmarks"]["constant"]
    rows, glued = [], {}
    keys = dict(zip(registry.OPTIMIZER_SETTINGS, ["adam_default", "adam_1e12", "adam_1e6", "gd_01", "gd_1"]))
    div = failure.exploded(failure.final_loss(opt["loss"]), opt["diverged_epoch"], constant)
    for i, setting in enumerate(opt.coords["setting"]):
        loss = opt["loss"][i, 0]                                          # [seed, epoch]
        esc = stats.first_epoch_below(loss, 0.9 * constant)
        ok = esc > 0
        moved = rebuild.weight_change(opt, setting=setting, activation="sigmoid")[:, 0]
        mse = np.where(div[i, 0], np.nan, opt["final_train_mse"][i, 0])
        rows.append([setting, stats.at_spread(esc[ok]) if ok.any() else "never", stats.count(ok),
                     stats.at_spread(mse), stats.geo_spread(moved), stats.count(div[i, 0])])
        glued[f"esc_{keys[setting]}"] = stats.rounded(esc[ok]) if ok.any() else "never"
        glued[f"l1_{keys[setting]}"] = stats.geo_rounded(moved)
    return Table(["setting", "escape epoch", "escaped", "final train MSE", "layer-1 change", "diverged"], rows,
                 "Sigmoid seed network under other optimizers (5 seeds each)"), glued


def findings() -> dict:
    res, sweep, data = registry.seed_run(), registry.init_sweep(), make_dataset()
    names = registry.ACTS
    f: dict = {}
    f["slope_table"] = Table(["activation", "min phi'", "max phi'"],
                             [[n] + [f"{v:.3f}" for v in activations.get(n).slope_range()] for n in names])
    f["sigma_table"] = Table(["init", "sigma_w^2 = n Var(W)", "sigma_b^2"],
                             [[i, f"{theory.sigma_w2(i):.4f}", f"{theory.weight_variance(i, 64, 64)[1]:.5f}"]
                              for i in INITS])
    f["fixed_point_table"] = fixed_point_table(names, ("torch_default", "xavier", "kaiming"))
    qs = {}
    for name in names:
        for init in ("torch_default", "kaiming"):
            vw, vb = theory.weight_variance(init, 64, 64)
            q, c = theory.chi_1(name, 64 * vw, vb)
            f[f"chi1_{init}_{name}"] = round(c, 3)
            if init == "torch_default":
                qs[name] = q
    others = [q for n, q in qs.items() if n != "sigmoid"]
    f["q_default_min"], f["q_default_max"] = float(f"{min(others):.2g}"), float(f"{max(others):.2g}")
    f["q_default_sigmoid"] = float(f"{qs['sigmoid']:.2g}")
    f["critical_table"], glued = critical_table(names)
    f |= glued
    # theory against measurement at init, depth 10
    rows = []
    for name in names:
        cells = []
        for case in ("torch_default", "kaiming"):
            g = sweep.sel("grad_h", case=case, activation=name, depth=10)
            meas, pred = layer_ratio(g[:, :10]), sweep.sel("theory_h", case=case, activation=name, depth=10)[0]
            cells += [stats.geo_spread(meas), f"{pred:.1e}"]
            if case == "torch_default":
                f[f"meas_default_{name}"], f[f"pred_default_{name}"] = stats.geo_rounded(meas), float(f"{pred:.1e}")
        rows.append([name] + cells)
    f["theory_vs_measured"] = Table(["activation", "default: measured", "predicted", "He: measured", "predicted"],
                                    rows, "Layer 1 / layer 10 of ||dL/dh_l|| at init (5 seeds) against mean field")
    f["worst_factor"] = round(max(theory_misfits(sweep, "torch_default", (10,)).values()), 1)
    he = theory_misfits(sweep, "kaiming", (10,))
    f["worst_factor_he"], f["worst_factor_he_act"] = round(max(he.values()), 1), stats.Text(
        activations.get(max(he, key=he.get)).label)
    # depth 50
    rows = []
    for name in names:
        cells = []
        for case in sweep.coords["case"]:
            g = sweep.sel("grad_h", case=case, activation=name, depth=50)
            meas, pred = layer_ratio(g), sweep.sel("theory_h", case=case, activation=name, depth=50)[0]
            cells.append(f"{stats.geo_spread(meas).split(' ')[0]} ({pred:.0e})")
            f[f"d50_{case.replace(' x 2.25', '_above')}_{name}"] = stats.geo_rounded(meas)
        rows.append([name] + cells)
    f["depth50_table"] = Table(["activation"] + sweep.coords["case"], rows,
                               "Layer 1 / layer 50 of ||dL/dh_l|| at init: measured (mean-field prediction)")
    he = theory.mean_field("gelu", 50, 64, "kaiming")
    f["gelu_q50"], f["gelu_q1"] = float(f"{he.q_mean()[-1]:.1e}"), round(float(he.q_mean()[0]), 2)
    f["gelu_q50_median"] = stats.Text(stats._e(float(f"{np.median(he.q[:, -1]):.0e}")))   # most inputs' q fades
    f["gelu_share_exploding"] = stats.Text(f"{100 * float((he.chi[:, -1] > 1).mean()):.0f}%")   # chi_50 > 1
    g = sweep.sel("grad_h", case="kaiming", activation="gelu", depth=50)
    for n in ("gelu", "silu"):
        f[f"{n}_he_d50_pred"] = stats.sig2(sweep.sel("theory_h", case="kaiming", activation=n, depth=50)[0])
    r = layer_ratio(g)
    f["gelu_he_d50_min"], f["gelu_he_d50_max"] = float(f"{r.min():.0e}"), float(f"{r.max():.0e}")
    w0 = res.sel("grad_w", activation="sigmoid", grad_epoch=0)
    f["ratio_w0_sigmoid"] = stats.geo_rounded(layer_ratio(w0))
    w1 = w0[:, 0]
    f["sigmoid_l1_grad_w0"] = stats.geo_rounded(w1)
    # training
    f["ratio_w_table"], f["ratio_h_table"] = training_ratios(res, "grad_w"), training_ratios(res, "grad_h")
    epochs = res.coords["grad_epoch"]
    f["crossing_table"] = Table(["activation", "mean |dL/dW_l|", "||dL/dh_l||"],
                                [[n] + [crossing_cell(first_crossing(layer_ratio(res.sel(k, activation=n)), epochs))
                                        for k in ("grad_w", "grad_h")] for n in res.coords["activation"]],
                                "First logged epoch with layer 1 >= layer 10: mean ± sd over the seeds that cross")
    f["gains_table"] = gains_after_training(res, data)
    end = {r[0]: r for r in f["gains_table"].rows}
    learned = [n for n in names if n not in ("identity", "sigmoid")]
    share = [float(end[n][5].split()[0]) / float(end[n][6].split()[0]) for n in learned]
    f["signal_over_top_min"], f["signal_over_top_max"] = round(min(share), 1), round(max(share), 1)
    f["signal_end_identity"] = float(end["identity"][5].split()[0])
    f["random_end_sigmoid"], f["signal_end_sigmoid"] = end["sigmoid"][4], end["sigmoid"][5]
    for kind in ("grad_h", "grad_w"):
        r500 = {n: stats.geo_rounded(layer_ratio(res.sel(kind, activation=n, grad_epoch=res.coords["grad_epoch"][-1])))
                for n in names}
        nonlinear = {n: v for n, v in r500.items() if n not in ("identity", "sigmoid")}
        f[f"{kind}_end_min"], f[f"{kind}_end_max"] = min(nonlinear.values()), max(nonlinear.values())
        f[f"{kind}_end_sigmoid"], f[f"{kind}_end_identity"] = r500["sigmoid"], r500["identity"]
    f["optimizer_table"], glued = optimizer_table(registry.optimizers())
    f |= glued
    return f
