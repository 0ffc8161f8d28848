"""Chapter 4, stability: failure modes over learning rate and depth (Adam and gradient descent), the
curvature bound of gradient descent, and what a longer budget or another epsilon changes."""
from __future__ import annotations

import math

import numpy as np

from ..analysis import failure, stats
from ..experiments import registry
from .tables import Table


def mode_table(res, title: str) -> Table:
    return Table(*failure.mode_table(res), title=title)


def boundaries(res) -> tuple[Table, dict]:
    """Per activation: the largest learning rate whose most common ending over seeds is converged, and the
    smallest above it whose is not, with their seed counts, relative to the init's weight scale."""
    w_std = 1 / math.sqrt(3 * 64)
    maj, cnt = failure.majority(failure.modes_of(res))
    lrs, seeds = res.coords["lr"], len(res.coords["seed"])
    ok = failure.MODES.index("converged")
    rows, glued = [], {}
    for a, name in enumerate(res.coords["activation"]):
        good = [i for i in range(len(lrs)) if maj[a, i] == ok]
        top = max(good) if good else None
        fail = next((i for i in range(top + 1, len(lrs)) if maj[a, i] != ok), None) if top is not None else None
        cells = [f"{lrs[top]:g} ({cnt[a, top]}/{seeds} ok)" if top is not None else "none",
                 f"{lrs[top] / w_std:.2f}" if top is not None else "-",
                 f"{lrs[fail]:g} ({failure.SHORT[failure.MODES[maj[a, fail]]]} {cnt[a, fail]}/{seeds})"
                 if fail is not None else "none", f"{lrs[fail] / w_std:.2f}" if fail is not None else "-"]
        rows.append([name] + cells)
        glued[f"adam_max_ok_{name}"] = lrs[top] if top is not None else "none"
        if fail is not None:
            glued[f"adam_first_fail_{name}"] = lrs[fail]
    return Table(["activation", "largest converging lr", "/ weight std", "next lr", "/ weight std"], rows,
                 "Where Adam stops converging (most common ending over seeds)"), glued


def findings() -> dict:
    f: dict = {}
    w_std = 1 / math.sqrt(3 * 64)
    f["w_std"] = round(w_std, 3)
    sweep, gd = registry.lr_sweep(), registry.gd_sweep()
    f["adam_table"] = mode_table(sweep, f"Most common ending over {len(sweep.coords['seed'])} seeds, Adam, 500 epochs")
    f["adam_boundaries"], glued = boundaries(sweep)
    f |= glued
    ok_ratio = [v / w_std for k, v in glued.items() if k.startswith("adam_max_ok_") and not isinstance(v, str)]
    fail_ratio = [v / w_std for k, v in glued.items() if k.startswith("adam_first_fail_")]
    f["ok_ratio_max"], f["fail_ratio_min"] = round(max(ok_ratio), 2), round(min(fail_ratio), 2)
    fails = [v for k, v in glued.items() if k.startswith("adam_first_fail_")]
    f["adam_first_fail_min"], f["adam_first_fail_max"] = min(fails), max(fails)
    picks = failure.examples(sweep, {"converged": "relu", "slow": None, "stalled": None, "oscillating": None,
                                     "plateau": "sigmoid", "collapsed": "relu", "diverged": "leaky_relu"})
    f["examples_table"] = Table(["mode", "activation", "lr", "seed"],
                                [[m, n, f"{lr:g}", str(s)] for m, (n, lr, s) in picks.items()],
                                "One run per ending, from the Adam sweep")
    modes = failure.modes_of(sweep)
    f["modes_never"] = ", ".join(m for i, m in enumerate(failure.MODES) if not (modes == i).any()) or "none"
    relu = sweep.index("activation", "relu")
    big = [i for i, lr in enumerate(sweep.coords["lr"]) if lr > 0.1]
    f["relu_diverged_big"] = stats.count((modes[relu, big] == failure.MODES.index("diverged")).ravel())
    # curvature
    curv = registry.curvature()
    d10 = curv.index("depth", 10)
    rows = []
    for a, name in enumerate(curv.coords["activation"]):
        s, r = curv["sharpness"][d10, a], curv["readout"][d10, a]
        rows.append([name, stats.geo_spread(s), stats.geo_spread(r), f"{2 / stats.geo_mean(s):.2g}"])
        f[f"sharp_{name}"], f[f"bound_{name}"] = stats.geo_rounded(s), float(f"{2 / stats.geo_mean(s):.2g}")
    f["sharpness_table"] = Table(["activation", "sharpness", "readout block", "2 / sharpness"], rows,
                                 f"Curvature at init, depth 10 ({len(curv.coords['seed'])} seeds)")
    f["readout_closed_form"] = 2 * (64 * 0.25 + 1)
    others = [stats.geo_mean(curv["sharpness"][d10, a])
              for a, n in enumerate(curv.coords["activation"]) if n != "sigmoid"]
    f["sharp_others_min"], f["sharp_others_max"] = float(f"{min(others):.2g}"), float(f"{max(others):.2g}")
    f["sharp_positive"] = stats.count(curv["sharpness"] > 0)     # power iteration finds the largest |eigenvalue|
    f["gd_table"] = mode_table(gd, f"Most common ending over {len(gd.coords['seed'])} seeds, gradient descent, "
                                   "500 epochs")
    maj, _ = failure.majority(failure.modes_of(gd))
    rows = []
    for a, name in enumerate(gd.coords["activation"]):
        fails = [lr for i, lr in enumerate(gd.coords["lr"]) if failure.MODES[maj[a, i]] in ("collapsed", "diverged")]
        bound = 2 / stats.geo_mean(curv["sharpness"][d10, a])
        above = [lr for lr in gd.coords["lr"] if lr > bound]
        rows.append([name, f"{bound:.2g}", f"{min(fails):g}" if fails else "none", f"{min(above):g}" if above else "-"])
    ok = failure.MODES.index("converged")
    for a, name in enumerate(gd.coords["activation"]):
        good = [lr for i, lr in enumerate(gd.coords["lr"]) if maj[a, i] == ok]
        f[f"gd_max_ok_{name}"] = max(good) if good else "none"
        if good:   # what "converged" meant for gradient descent: the MSE at its best rate (lowest median)
            best = min(good, key=lambda lr: np.nanmedian(gd.sel("final_train_mse", activation=name, lr=lr)))
            f[f"gd_best_mse_{name}"] = stats.rounded(gd.sel("final_train_mse", activation=name, lr=best))
    f["gd_bound_table"] = Table(["activation", "2 / sharpness", "first failing lr", "first grid lr above the bound"],
                                rows, "Gradient descent: the curvature bound against the first failure")
    f["depth_sharpness_table"] = Table(
        ["sharpness at init"] + [f"L={d}" for d in curv.coords["depth"]],
        [[n] + [f"{stats.geo_mean(curv['sharpness'][d, a]):.3g}" for d in range(len(curv.coords["depth"]))]
         for a, n in enumerate(curv.coords["activation"])])
    # depth
    for key, res in (("depth_activation", registry.depth_by_activation()), ("depth_lr", registry.depth_by_lr())):
        maj, cnt = failure.majority(failure.modes_of(res))          # [depth, activation, lr]
        seeds = len(res.coords["seed"])
        rows = [[name, f"{lr:g}"] + [f"{failure.SHORT[failure.MODES[maj[d, a, i]]]} {cnt[d, a, i]}/{seeds}"
                                      for d in range(len(res.coords["depth"]))]
                for a, name in enumerate(res.coords["activation"]) for i, lr in enumerate(res.coords["lr"])]
        f[f"{key}_table"] = Table(["activation", "lr"] + [f"depth {d}" for d in res.coords["depth"]], rows,
                                  f"Most common ending over {seeds} seeds, Adam, 500 epochs")
        if key == "depth_lr":   # the largest rate whose most common ending is converged, per depth
            ok = failure.MODES.index("converged")
            for d, depth in enumerate(res.coords["depth"]):
                good = [lr for i, lr in enumerate(res.coords["lr"]) if maj[d, 0, i] == ok]
                f[f"depth_lr_max_{depth}"] = max(good) if good else "none"
            f["depth_lr_grid_max"] = max(res.coords["lr"])
    # budgets and epsilon
    long = registry.long_budget()
    constant = long.meta["config"]["landmarks"]["constant"]
    rows, epochs = [], len(long.coords["epoch"])
    for lr, tag in zip(long.coords["lr"], ("lr1e4", "lr3e4")):
        esc = stats.first_epoch_below(long.sel("loss", activation="sigmoid", lr=lr), 0.9 * constant)
        rows.append([f"{lr:g}", stats.count(esc > 0), stats.at_spread(esc[esc > 0]) if (esc > 0).any() else "never",
                     stats.count((esc > 0) & (esc <= 500))])
        f[f"long_escaped_{tag}"] = stats.count(esc > 0)
        f[f"long_escape_{tag}"] = stats.rounded(esc[esc > 0]) if (esc > 0).any() else "never"
    f["long_epochs"] = epochs
    f["long_table"] = Table(["sigmoid, Adam lr", f"escaped in {epochs} epochs", "escape epoch", "escaped in 500"],
                            rows, f"Is 'never leaves the plateau' a budget? {epochs} epochs")
    eps = registry.eps_at_depth()
    constant = eps.meta["config"]["landmarks"]["constant"]
    rows = []
    for a, name in enumerate(eps.coords["activation"]):
        cells = []
        for e in range(len(eps.coords["adam_eps"])):
            esc = stats.first_epoch_below(eps["loss"][e, a], 0.9 * constant)
            cells += [stats.count(esc > 0)]
        g = eps["grad_h"][0, a][:, 0, :30]                           # at init: [seed, layer]
        rows.append([name] + cells + [stats.geo_spread(g[:, 0])])
        f[f"eps_{name}_grad"] = stats.geo_rounded(g[:, 0])
    f["eps_small"] = f"{eps.coords['adam_eps'][-1]:g}"
    f["eps_table"] = Table(["depth 30"] + [f"left the plateau, eps {e:g}" for e in eps.coords["adam_eps"]]
                           + ["||dL/dh_1|| at init"], rows,
                           "Adam at depth 30 (lr 1e-3, 500 epochs): is the plateau the epsilon?")
    return f
