"""Chapter 8, the digits: do the sine task's findings transfer to a real classification problem? Accuracy,
gradient flow against mean field, units off, the learning-rate map, and a finding-by-finding comparison.

Step counts make the two tasks comparable: the sine task takes one full-batch Adam step per epoch, the digits
ten mini-batches of 128, so sine epoch e is digits epoch e / 10 (DIGITS_STEP_EPOCHS)."""
from __future__ import annotations

import warnings

import numpy as np
import torch

from .. import theory
from ..analysis import failure, stats
from ..analysis.measures import layer_ratio
from ..core import activations
from ..core.data import digits, landmarks, linear_classifier
from ..core.store import Results
from ..experiments import registry
from . import stability
from .gradients import theory_misfits
from .tables import Table, Tables
from .transfer import at_init, comparison, digits_task, facts, sine_task, view

STEPS = (0, 100, 200, 500)                        # Adam steps at which gradients are compared
SINE_EPOCH = dict(zip(STEPS, STEPS))              # one step per epoch
DIGITS_EPOCH = {s: s // 10 for s in STEPS}        # ten steps per epoch
INIT_LABEL = {"torch_default": "default", "kaiming": "He"}


def accuracy_table(res: Results) -> Table:
    """Final test accuracy (%) per activation, init and depth."""
    acc = failure.finite(res["final_test_accuracy"], res)                 # [init, depth, act, seed]
    cols = [(i, d) for i in res.coords["init"] for d in res.coords["depth"]]
    rows = [[name] + [stats.percent(acc[res.index("init", i), res.index("depth", d), a]) for i, d in cols]
            for a, name in enumerate(res.coords["activation"])]
    return Table(["activation"] + [f"{INIT_LABEL[i]}, depth {d}" for i, d in cols], rows,
                 "Test accuracy (%) after 500 Adam steps, mean ± sd over 5 seeds")


def theory_table(res: Results, depth: int) -> Table:
    """Layer 1 / layer L of ||dL/dh_l|| at initialisation: measured (geometric mean over seeds) and predicted."""
    view0 = at_init(res)
    rows = []
    for name in res.coords["activation"]:
        row = [name]
        for i in res.coords["init"]:
            meas = layer_ratio(view0.sel("grad_h", case=i, depth=depth, activation=name)[:, :depth])
            pred = view0.sel("theory_h", case=i, depth=depth, activation=name)[0]
            row += [stats.geo_spread(meas), f"{pred:.1e}"]
        rows.append(row)
    header = ["activation"] + [f"{INIT_LABEL[i]}: {w}" for i in res.coords["init"] for w in ("measured", "mean field")]
    return Table(header, rows, f"||dL/dh_1|| / ||dL/dh_{depth}|| at initialisation, depth {depth}")


def training_ratio_table(sine: Results, dig: Results) -> Table:
    """Layer 1 / layer 10 of ||dL/dh_l|| after 0, 100, 200 and 500 Adam steps: sine task against digits
    (default init, depth 10)."""
    rows = []
    for a, name in enumerate(sine.coords["activation"]):
        row = [name]
        for s in STEPS:
            for res, epoch in ((sine, SINE_EPOCH[s]), (dig, DIGITS_EPOCH[s])):
                r = layer_ratio(res.sel("grad_h", activation=name, grad_epoch=epoch))
                row.append(stats.geo_spread(np.where(failure.diverged(res)[a], np.nan, r)))
        rows.append(row)
    header = ["activation"] + [f"step {s}: {t}" for s in STEPS for t in ("sine", "digits")]
    return Table(header, rows, "||dL/dh_1|| / ||dL/dh_10|| over training, default init (geometric mean ×/÷ spread)")


def off_table(sine: Results, dig: Results) -> Table:
    """Units off (on for no input; mean over the 10 layers) at init and after 500 steps, both tasks."""
    rows = []
    for name in sine.coords["activation"]:
        cells = []
        for res in (sine, dig):
            off = res.sel("unit_states", activation=name, unit_state="off").mean(-1)      # [seed, state epoch]
            cells += [stats.at_spread(off[:, 0]), stats.at_spread(off[:, -1])]
        rows.append([name] + cells)
    return Table(["activation", "sine: init", "sine: end", "digits: init", "digits: end"], rows,
                 "Fraction of units off (on for no input), mean over 10 layers; default init, depth 10")


def dead_by_layer(dig: Results, name: str = "relu", layers=(1, 2, 4, 6, 8, 10)) -> Table:
    """Dead units (phi' = 0 on every test image) in the given layers at the end, at each learning rate."""
    rows, div = [], failure.diverged(dig)[dig.index("activation", name)]      # [lr, seed]
    for i, lr in enumerate(dig.coords["lr"]):
        dead = dig.sel("unit_states", lr=lr, activation=name, unit_state="dead")[:, -1, :]   # [seed, layer]
        dead = np.where(div[i][:, None], np.nan, dead)                                       # diverged: NaN
        rows.append([f"{lr:g}"] + [stats.at_spread(dead[:, l - 1]) for l in layers])
    return Table(["lr"] + [f"layer {l}" for l in layers], rows,
                 f"{name}: fraction of a layer's units dead after 500 steps (mean ± sd over seeds)")


def boundaries(sine: Results, dig: Results) -> Table:
    """Chapter 4's limits (the largest Adam learning rate whose most common ending is converged, and the next
    one's ending) on the sine task and on the digits, side by side."""
    (a, _), (b, _) = stability.boundaries(sine), stability.boundaries(dig)
    rows = [[ra[0], ra[1], ra[3], rb[1] if rb[1] != "none" else "none converged", rb[3] if rb[1] != "none" else "-"]
            for ra, rb in zip(a.rows, b.rows)]
    return Table(["activation", "sine: largest ok lr", "sine: next lr", "digits: largest ok lr", "digits: next lr"],
                 rows, "Where Adam stops converging (most common ending over 5 seeds), sine task and digits")


def weak_linear_accuracy(data, C: float = 1e4) -> tuple[float, float]:
    """Train and test accuracy of a nearly unregularised linear softmax classifier (L2 strength C = 1e4): a
    linear model with nothing holding its weights back, like the networks."""
    fit = linear_classifier(data, C)
    return (float(fit.score(data.x.numpy(), data.y.argmax(1).numpy())),
            float(fit.score(data.x_test.numpy(), data.y_test.argmax(1).numpy())))


def first_layer_margin(data, seeds: int = 5) -> float:
    """At the default init, the smallest over first-layer units (five seeds) of max_n w . x_n over the test
    images: how far below zero a unit's bias would have to go for the unit to be off for every image."""
    from ..core.models import NetConfig, init_params
    w = torch.stack([init_params(s, NetConfig(depth=1), torch.float64, d_in=64, d_out=10)[0][0]
                     for s in range(seeds)])                                # [seed, 64 pixels, 64 units]
    return float((data.x_test @ w).amax(1).min())


def findings() -> dict:
    res, sweep, data = registry.digits_run(), registry.digits_lr(), digits()
    marks = landmarks(data)
    d10 = view(res, "torch_default", 10)
    f: dict = {"digits_train": len(data.x), "digits_test": len(data.x_test),
               "digits_chance": round(100 * marks["chance"], 1),
               "digits_linear": round(100 * marks["linear_test_accuracy"], 1),
               "digits_linear_train": round(100 * marks["linear_train_accuracy"], 1),
               }
    weak_train, weak_test = weak_linear_accuracy(data)
    f["digits_linear_weak"], f["digits_linear_weak_train"] = round(100 * weak_test, 1), round(100 * weak_train, 1)
    f["accuracy_table"] = accuracy_table(res)
    acc = failure.finite(res["final_test_accuracy"], res)
    for i in res.coords["init"]:
        for d in res.coords["depth"]:
            for a, name in enumerate(res.coords["activation"]):
                cell = acc[res.index("init", i), res.index("depth", d), a]
                f[f"digits_acc_{INIT_LABEL[i]}{d}_{name}"] = stats.rounded(100 * cell)
    means = {n: float(np.nanmean(acc[res.index("init", "torch_default"), res.index("depth", 10), a]))
             for a, n in enumerate(res.coords["activation"])}
    best = max((n for n in means if n != "identity"), key=means.get)
    f["digits_best_nonlinear"] = stats.Text(activations.get(best).label)
    f["digits_best_nonlinear_acc"] = f[f"digits_acc_default10_{best}"]
    gain = round(100 * (means[best] - means["identity"]))                          # points over the linear network
    f["digits_nonlinear_gain"] = stats.Text(f"{gain} percentage point{'' if gain == 1 else 's'}")
    train_acc = failure.finite(d10["final_train_accuracy"], d10)
    for name in ("identity", "relu"):
        f[f"digits_train_acc_{name}"] = stats.rounded(100 * train_acc[d10.index("activation", name)])
    # layer 1 at the default init: q_1 = Var(W) |x|^2 + Var(b), averaged over the training images
    vw, vb = theory.weight_variance("torch_default", 64, 64)
    f["digits_sq_norm"] = round(float((data.x ** 2).sum(1).mean()), 1)
    f["digits_q1_default"] = round(vw * f["digits_sq_norm"] + vb, 3)
    f["digits_wx_sd"] = round(float(np.sqrt(f["digits_sq_norm"] / 192)), 2)   # sd of w . x per image, Var(W) = 1/192
    f["theory_table"] = Tables({d: theory_table(res, d) for d in res.coords["depth"]})
    f["digits_misfit_default"] = round(max(theory_misfits(at_init(res), "torch_default", (10, 20)).values()), 1)
    he = theory_misfits(at_init(res), "kaiming", (20,))
    f["digits_misfit_he_gelu"], f["digits_misfit_he_silu"] = round(he["gelu"]), round(he["silu"])
    f["training_ratio_table"] = training_ratio_table(registry.seed_run(), d10)
    for name in ("relu", "tanh", "sigmoid"):
        for task, res_, epoch in (("sine", registry.seed_run(), 500), ("digits", d10, 50)):
            g = layer_ratio(res_.sel("grad_h", activation=name, grad_epoch=epoch))
            f[f"{task}_ratio500_{name}"] = stats.Text(f"{stats.geo_rounded(g[np.isfinite(g)]):g}")
    g = layer_ratio(d10.sel("grad_h", activation="relu", grad_epoch=10))
    f["digits_ratio100_relu"] = stats.Text(f"{stats.geo_rounded(g):g}")
    acc100 = d10.sel("test_accuracy", activation="relu")[:, d10.coords["test_epoch"].index(10)]
    f["digits_acc_step100_relu"] = stats.rounded(100 * acc100)
    relu = layer_ratio(d10.sel("grad_h", activation="relu", grad_epoch=50))
    f["digits_gain_relu"] = round(stats.geo_mean(relu[np.isfinite(relu)]) ** (1 / 9), 1)   # per layer, 9 layers apart
    f["digits_sigmoid_d20"] = stats.geo_rounded(layer_ratio(at_init(res).sel("grad_h", case="torch_default", depth=20,
                                                                       activation="sigmoid")))
    f["sine_off_init_relu"] = stats.rounded(registry.seed_run().sel("unit_states", activation="relu",
                                                                unit_state="off")[:, 0, :].mean(-1))
    off = d10.sel("unit_states", unit_state="off").mean(-1)                  # [act, seed, state epoch]
    for name in ("relu", "leaky_relu"):
        a = d10.index("activation", name)
        f[f"digits_off_init_{name}"], f[f"digits_off_end_{name}"] = (stats.rounded(off[a, :, 0]),
                                                                     stats.rounded(off[a, :, -1]))
    f["off_table"] = off_table(registry.seed_run(), d10)
    f["dead_table"] = dead_by_layer(sweep)
    dead = sweep.sel("unit_states", activation="relu", unit_state="dead")[..., -1, :]     # [lr, seed, layer]
    f["digits_dead_l10_lr01"] = stats.rounded(dead[sweep.index("lr", 0.1), :, -1])
    worst = float(np.nanmax(dead[..., 0]))
    f["digits_l1_dead"] = (stats.Text("no unit of any seed died at any rate") if worst == 0
                           else stats.Text(f"at most {worst:.2f} of a first-layer's units died"))
    big = [sweep.index("lr", lr) for lr in sweep.coords["lr"] if lr >= 0.1]
    ident = sweep.sel("final_test_accuracy", activation="identity")[big]              # [lr, seed]: not masked
    f["digits_identity_big_lr_acc"] = stats.percent(ident)
    with warnings.catch_warnings():                                       # every seed diverged: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(failure.finite(sweep["final_test_accuracy"], sweep), -1)  # [act, lr]
    a, i = np.unravel_index(np.nanargmax(mean), mean.shape)
    f["digits_best_sweep_acc"] = stats.percent(failure.finite(sweep["final_test_accuracy"], sweep)[a, i])
    f["digits_best_sweep_name"] = stats.Text(activations.get(sweep.coords["activation"][a]).label)
    f["digits_best_sweep_lr"] = sweep.coords["lr"][i]
    f["digits_l1_margin"] = round(first_layer_margin(data), 1)
    f["mode_table"] = Table(*failure.mode_table(sweep), "Digits: most common ending and its count over 5 seeds")
    f["boundary_table"] = boundaries(registry.lr_sweep(), sweep)
    ok = failure.converged_lrs(sweep)
    f["digits_max_ok_relu"], f["digits_max_ok_tanh"] = (float(ok[n].max()) for n in ("relu", "tanh"))
    digits_side = digits_task(res, sweep, weak_train)
    f["comparison_table"] = comparison(facts(sine_task()), facts(digits_side))
    return f
