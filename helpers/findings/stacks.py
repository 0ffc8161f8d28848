"""Chapters 9 and 10, deep stacks: initialisation, dynamical isometry, self-normalisation, normalisation and residual
connections, trained on the seed task; which differences between activations survive the fixes.

The trained grids join runs computed once each: PyTorch's default init is chapter 4's depth series
(depth_by_activation, and selu_series for SELU), the "plain" network at Adam 0.1 is chapter 4's learning-rate
sweep. Quantities (every one over five seeds):
- test MSE: after 500 epochs, against the clean sine on the dense grid; diverged runs
  (helpers.analysis.failure's rule 1) are counted, not averaged;
- epochs to 2x the noise floor: the first epoch whose full-batch train loss (noisy targets) is below
  2 x 0.1^2 = 0.02 ("never" if no epoch is);
- gradient ratio: ||dL/dh_1|| / ||dL/dh_L||, h_l the argument of layer l's activation (after the norm where
  there is one), full-batch loss, after the epoch (0: at initialisation);
- off: the share of hidden units that are on for no input of the dense grid at the end (probes.unit_states).
"""
from __future__ import annotations

import numpy as np

from .. import theory
from ..analysis import failure, stats
from ..core import activations
from ..core.store import Results
from ..experiments import registry
from .gradients import theory_misfits
from .stacks_grids import (
    FLOOR,
    VARIANT_LABEL,
    VARIANTS,
    block_grid,
    epochs_to_floor,
    grad_ratio,
    init_grid,
    off_share,
    test_mse,
)
from .stacks_init import (
    CASE_LABEL,
    CASES,
    anisotropy,
    at_init_numbers,
    finite_width_numbers,
    init_ratio_table,
    moments_table,
    spectrum_table,
)
from .tables import Table


def grid_table(res: Results, dim: str, values, measure, fmt, title: str, **fixed) -> Table:
    """Rows: activations; a column per value of `dim`: fmt(measure(res) at fixed, that value, over seeds)."""
    m = measure(res)
    dims = list(res.dims["final_test_mse"])

    def cell(name, value):
        where = {**fixed, dim: value, "activation": name}
        return fmt(m[tuple(res.index(d, where[d]) if d in where else slice(None) for d in dims)])
    labels = CASE_LABEL if dim == "case" else VARIANT_LABEL if dim == "variant" else {}
    return Table(["activation"] + [labels.get(v, str(v)) for v in values],
                 [[n] + [cell(n, v) for v in values] for n in res.coords["activation"]], title)


def mode_cell(codes: np.ndarray) -> str:
    maj, cnt = failure.majority(codes[None])
    return f"{failure.SHORT[failure.MODES[int(maj[0])]]} {int(cnt[0])}/{codes.size}"


# ---- at initialisation ----------------------------------------------------------------------------------------
def residual_theory_table(blk: Results) -> Table:
    """Layer 1 / layer L gradient ratio at init, depth 20: every variant measured, the residual one's mean field."""
    setting = "depth 20, lr 1e-3"
    depth = registry.BLOCK_SETTINGS[setting][0]
    rows = []
    for n in blk.coords["activation"]:
        row = [n]
        for v in VARIANTS:
            row.append(stats.geo_spread(grad_ratio(blk, 0)[blk.index("setting", setting), blk.index("variant", v),
                                                           blk.index("activation", n)]))
        row.append(f"{theory.residual_profile(n, depth)[0]:.2g}")
        rows.append(row)
    return Table(["activation"] + [VARIANT_LABEL[v] for v in VARIANTS] + ["residual: mean field"], rows,
                 f"||dL/dh_1|| / ||dL/dh_{depth}|| at initialisation, PyTorch's default init")


def survivors(grid: Results, blk: Results) -> Table:
    """Per fix at depth 20 (Adam 1e-3): how many activations reach 2x the noise floor (most seeds), and the
    best, middle and worst activation's test MSE (geometric mean over seeds)."""
    rows = []
    fixes = [("init", c) for c in CASES] + [("variant", v) for v in VARIANTS[1:]]
    for kind, value in fixes:
        if kind == "init":
            sub = {"mse": test_mse(grid)[grid.index("case", value), grid.index("depth", 20)],
                   "ep": epochs_to_floor(grid)[grid.index("case", value), grid.index("depth", 20)]}
            label = f"init: {CASE_LABEL[value]}"
        else:
            i = (blk.index("setting", "depth 20, lr 1e-3"), blk.index("variant", value))
            sub = {"mse": test_mse(blk)[i], "ep": epochs_to_floor(blk)[i]}
            label = f"default init + {VARIANT_LABEL[value]}"
        reach = (np.isfinite(sub["ep"]).sum(-1) * 2 > sub["ep"].shape[-1])
        g = stats.geo_mean(sub["mse"], -1)
        order = np.argsort(np.where(np.isfinite(g), g, np.inf))
        picks = [stats.geo_spread(sub["mse"][order[k]]) for k in (0, len(order) // 2, len(order) - 1)]
        rows.append([label, stats.count(reach)] + picks)
    return Table(["fix (depth 20)", "activations reaching 2x floor", "best test MSE", "median activation",
                  "worst activation"], rows, "What each fix leaves between the activations, depth 20, Adam 1e-3")


def best_fixes(grid: Results, blk: Results, depth: int = 20) -> dict:
    """Per activation, for the cheat sheet: test MSE at `depth` at the default init, and under the fix (an init or
    a layer type, Adam 1e-3) with the lowest geometric-mean test MSE."""
    v = {}
    setting = next(k for k, (d, lr) in registry.BLOCK_SETTINGS.items() if d == depth and lr == 1e-3)
    for n in grid.coords["activation"]:
        a = grid.index("activation", n)
        options = [test_mse(grid)[grid.index("case", c), grid.index("depth", depth), a] for c in CASES]
        options += [test_mse(blk)[blk.index("setting", setting), blk.index("variant", x), a] for x in VARIANTS[1:]]
        g = [stats.geo_mean(o, 0) if np.isfinite(o).sum() * 2 > o.size else np.inf for o in options]
        v[f"ds_d20_default_{n}"] = stats.geo_spread(options[0])
        v[f"ds_d20_best_{n}"] = stats.geo_spread(options[int(np.argmin(g))])
    return v


def findings() -> dict:
    f: dict = {}
    at0, grid, blk = registry.stack_at_init(), init_grid(), block_grid()
    names = at0.coords["activation"]
    f["sigma_table"] = Table(["activation"] + [CASE_LABEL[c] for c in CASES],
                             [[n] + [f"{at0.sel('sigma_w2', case=c, activation=n):.3g}" for c in CASES] for n in names],
                             "sigma_w^2 = fan_in Var(W) of the hidden layers under each init")
    for d in (20, 50):
        f[f"init_ratio_{d}"] = init_ratio_table(at0, d)
    for c in CASES:
        mis = theory_misfits(at0, c, [20, 50])
        worst = max(mis, key=mis.get)
        f[f"ds_misfit_{c}"], f[f"ds_misfit_{c}_act"] = stats.sig2(mis[worst]), activations.get(worst).label
    for d in registry.STACK_DEPTHS:
        f[f"init_mse_{d}"] = grid_table(grid, "case", CASES, test_mse, stats.geo_spread,
                                        f"Test MSE after 500 epochs, depth {d}, Adam 1e-3", depth=d)
    f["init_floor_20"] = grid_table(grid, "case", CASES, epochs_to_floor, stats.epochs_to_reach,
                                    "Epochs to 2x the noise floor (train loss < 0.02), depth 20", depth=20)
    init_modes = failure.modes_of(grid, ("case", "depth"))
    f["init_modes_20"] = grid_table(grid, "case", CASES, lambda r: init_modes, mode_cell,
                                    "Most common ending over 5 seeds, depth 20", depth=20)
    f["init_ratio_200"] = grid_table(grid, "case", CASES, lambda r: grad_ratio(r, 200), stats.geo_spread,
                                     "||dL/dh_1|| / ||dL/dh_20|| after 200 epochs, depth 20", depth=20)
    f["init_off_20"] = grid_table(grid, "case", CASES, off_share, stats.percent,
                                  "Units off (%) after 500 epochs, all layers, depth 20", depth=20)
    for d in (20, 50):
        f[f"spectrum_{d}"] = spectrum_table(at0, d)
    f["moments_lecun"] = moments_table(at0, "lecun")
    f["moments_default"] = moments_table(at0, "torch_default")
    f["block_mse_20"] = grid_table(blk, "variant", VARIANTS, test_mse, stats.geo_spread,
                                   "Test MSE after 500 epochs, depth 20, Adam 1e-3", setting="depth 20, lr 1e-3")
    f["block_floor_20"] = grid_table(blk, "variant", VARIANTS, epochs_to_floor, stats.epochs_to_reach,
                                     "Epochs to 2x the noise floor, depth 20, Adam 1e-3", setting="depth 20, lr 1e-3")
    f["block_mse_fast"] = grid_table(blk, "variant", VARIANTS, test_mse, stats.geo_spread,
                                     "Test MSE after 500 epochs, depth 10, Adam 0.1", setting="depth 10, lr 0.1")
    f["block_off_fast"] = grid_table(blk, "variant", VARIANTS, off_share, stats.percent,
                                     "Units off (%) after 500 epochs, depth 10, Adam 0.1", setting="depth 10, lr 0.1")
    f["block_ratio_init"] = residual_theory_table(blk)
    f["block_ratio_end"] = grid_table(blk, "variant", VARIANTS, lambda r: grad_ratio(r, 500), stats.geo_spread,
                                      "||dL/dh_1|| / ||dL/dh_20|| after 500 epochs, depth 20",
                                      setting="depth 20, lr 1e-3")
    f["survivors"] = survivors(grid, blk)
    f |= best_fixes(grid, blk)
    f["ds_floor"] = round(FLOOR, 6)   # 2 x 0.1^2 prints as 0.020000000000000004 otherwise
    f |= at_init_numbers(at0) | trained_numbers(grid, blk) | finite_width_numbers()
    f |= isometry_rank_correlation(at0, grid)
    return {k: stats.Text(v) if isinstance(v, str) else v for k, v in f.items()}   # glued without quotes


def trained_numbers(grid: Results, blk: Results) -> dict:
    """The trained results the prose quotes, each printed as its table prints it."""
    v: dict = {}
    mse, ep, off = test_mse(grid), epochs_to_floor(grid), off_share(grid)

    def g(case, depth, name, what=mse, fmt=stats.geo_spread):
        return fmt(what[grid.index("case", case), grid.index("depth", depth), grid.index("activation", name)])
    for c in CASES:
        v[f"ds_sigmoid_{c}_20"] = g(c, 20, "sigmoid")
        v[f"ds_selu_{c}_20"] = g(c, 20, "selu")
        v[f"ds_ep_tanh_{c}_20"] = g(c, 20, "tanh", ep, stats.epochs_to_reach)
        v[f"ds_ep_selu_{c}_20"] = g(c, 20, "selu", ep, stats.epochs_to_reach)
        v[f"ds_off_relu_{c}_20"] = g(c, 20, "relu", off, stats.percent)
    v["ds_off_sigmoid_edge_20"] = g("edge", 20, "sigmoid", off, stats.percent)
    v["ds_identity_20"] = g("kaiming", 20, "identity")
    bmse, bep, boff = test_mse(blk), epochs_to_floor(blk), off_share(blk)

    def b(setting, variant, name, what=bmse, fmt=stats.geo_spread):
        return fmt(what[blk.index("setting", setting), blk.index("variant", variant), blk.index("activation", name)])
    slow, fast = list(registry.BLOCK_SETTINGS)
    for var in VARIANTS:
        for n in ("identity", "sigmoid", "relu", "tanh"):
            v[f"ds_{var}_{n}_20"] = b(slow, var, n)
        v[f"ds_ep_{var}_relu_20"] = b(slow, var, "relu", bep, stats.epochs_to_reach)
        v[f"ds_ep_{var}_elu_20"] = b(slow, var, "elu", bep, stats.epochs_to_reach)
        v[f"ds_off_{var}_relu_fast"] = b(fast, var, "relu", boff, stats.percent)
        v[f"ds_off_{var}_relu_20"] = b(slow, var, "relu", boff, stats.percent)
        reached = np.isfinite(bep[blk.index("setting", fast), blk.index("variant", var)])     # [activation, seed]
        v[f"ds_reach_fast_{var}"] = stats.count(reached.sum(-1) * 2 > reached.shape[-1])
    for var in ("residual_layernorm", "batchnorm"):      # Adam 0.1 (depth 10) against 1e-3 (depth 20), per activation
        fast_mse = [stats.geo_mean(bmse[blk.index("setting", fast), blk.index("variant", var), a])
                    for a in range(len(blk.coords["activation"]))]
        slow_mse = [stats.geo_mean(bmse[blk.index("setting", slow), blk.index("variant", var), a])
                    for a in range(len(blk.coords["activation"]))]
        ratios = [f / s for f, s in zip(fast_mse, slow_mse) if np.isfinite(f / s)]
        v[f"ds_fast_over_slow_{var}_min"], v[f"ds_fast_over_slow_{var}_max"] = (f"{min(ratios):.2g}",
                                                                              f"{max(ratios):.2g}")
        v[f"ds_fast_{var}_min"], v[f"ds_fast_{var}_max"] = (f"{np.nanmin(fast_mse):.2g}", f"{np.nanmax(fast_mse):.2g}")
    r0 = grad_ratio(blk, 0)[blk.index("setting", slow), blk.index("variant", "residual")]
    for n in ("relu", "tanh", "sigmoid", "selu", "gelu", "elu"):
        v[f"ds_res_ratio_{n}"] = stats.geo_spread(r0[blk.index("activation", n)])
        v[f"ds_res_theory_{n}"] = f"{theory.residual_profile(n, registry.BLOCK_SETTINGS[slow][0])[0]:.2g}"
    return v


def isometry_rank_correlation(at0: Results, grid: Results, depth: int = 20) -> dict:
    """Spearman's rank correlation, over activation x init, between kappa at init and the median epochs to
    2x the noise floor (runs where most seeds stats.epochs_to_reach reach it rank last), at `depth`."""
    kappa, epochs = [], []
    ep = epochs_to_floor(grid)
    for c in grid.coords["case"]:
        for n in grid.coords["activation"]:
            kappa.append(anisotropy(at0.sel("sv", case=c, depth=depth, activation=n)).mean())
            e = ep[grid.index("case", c), grid.index("depth", depth), grid.index("activation", n)]
            epochs.append(np.nanmedian(e) if np.isfinite(e).sum() * 2 > e.size else np.inf)
    from scipy.stats import spearmanr  # ties (the runs that stats.epochs_to_reach reach it) get their average rank
    rho = round(float(spearmanr(kappa, epochs).statistic), 1)
    trained = np.isfinite(epochs)                # only the pairs whose seeds mostly reach the floor
    rho_t = round(float(spearmanr(np.array(kappa)[trained], np.array(epochs)[trained]).statistic), 1)
    return {"ds_rank_corr": f"{rho + 0.0:.1f}", "ds_rank_corr_trained": f"{rho_t + 0.0:.1f}",   # + 0.0: no "-0.0"
            "ds_rank_pairs_trained": str(int(trained.sum()))}
