"""Chapter 9, deep stacks: initialisation, dynamical isometry, self-normalisation, normalisation and residual
connections, trained on the seed task; which differences between activations survive the fixes.

The trained grids join runs computed once each: PyTorch's default init is chapter 4's depth series
(depth_by_activation, and selu_series for SELU), the "plain" network at Adam 0.1 is chapter 4's learning-rate
sweep. Quantities (every one over five seeds):
- test MSE: after 500 epochs, against the clean sine on the dense grid; diverged runs (helpers.failure's rule 1)
  are counted, not averaged;
- epochs to 2x the noise floor: the first epoch whose full-batch train loss (noisy targets) is below
  2 x 0.1^2 = 0.02 ("never" if no epoch is);
- gradient ratio: ||dL/dh_1|| / ||dL/dh_L||, h_l the argument of layer l's activation (after the norm where
  there is one), full-batch loss, after the epoch (0: at initialisation);
- off: the share of hidden units that are on for no input of the dense grid at the end (probes.unit_states).
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import activations, book, failure, stats, theory
from ..analysis import layer_ratio
from ..data import make_dataset
from ..store import Results
from ..tables import Table
from .gradients import theory_misfits

CASES = ("torch_default",) + book.STACK_CASES
CASE_LABEL = {"torch_default": "default", "lecun": "LeCun", "kaiming": "He", "edge": "critical",
              "orthogonal": "orthogonal critical"}
VARIANTS = ("plain",) + book.BLOCK_VARIANTS
# helpers.blocks' layer types, as the tables, the figures and the explorers name them
VARIANT_LABEL = {"plain": "plain", "layernorm": "LayerNorm", "batchnorm": "BatchNorm", "residual": "residual",
                 "residual_layernorm": "pre-norm residual"}
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
    depths = list(book.STACK_DEPTHS)
    default = _joined([_engine(book.depth_by_activation(), depths, 1e-3), _engine(book.selu_series(), depths, 1e-3)], 1)
    inits = book.stack_inits()
    new = {k: inits[k] for k in KEYS}
    new["grad_h"] = new["grad_h"][..., [inits.coords["grad_epoch"].index(e) for e in GRAD_EPOCHS], :]
    new["unit_states"] = new["unit_states"][..., [inits.coords["state_epoch"].index(e) for e in STATE_EPOCHS], :, :]
    arrays = {k: np.concatenate([default[k][None], new[k]], 0) for k in KEYS}
    return _grid(arrays, ("case", "depth", "activation", "seed"),
                 {"case": list(CASES), "depth": depths, "activation": book.STACK_ACTS, "seed": inits.coords["seed"],
                  "epoch": inits.coords["epoch"], "grad_epoch": list(GRAD_EPOCHS), "state_epoch": list(STATE_EPOCHS),
                  "layer": list(range(1, max(depths) + 1)), "unit_state": inits.coords["unit_state"]}, inits.meta)


def block_grid() -> Results:
    """Every activation x variant x setting x seed, trained at PyTorch's default init: dims (setting, variant,
    activation, seed, ...); "plain" is the engine's network (chapter 4's runs)."""
    blocks = book.stack_blocks()
    settings = list(book.BLOCK_SETTINGS.values())
    plain = []
    for depth, lr in settings:
        src = [book.depth_by_activation(), book.selu_series()] if lr == 1e-3 else [book.lr_sweep(), book.selu_series()]
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
                 {"setting": list(book.BLOCK_SETTINGS), "variant": list(VARIANTS), "activation": book.STACK_ACTS,
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


def geo(values) -> str:
    return stats.geo_spread(values)


def never(values) -> str:
    return stats.at_spread(values, missing="never")


def percent(values) -> str:
    return stats.at_spread(100 * np.asarray(values, dtype=float))


# ---- at initialisation ----------------------------------------------------------------------------------------
def anisotropy(sv: np.ndarray) -> np.ndarray:
    """kappa = mean(sigma^4) / mean(sigma^2)^2 of each Jacobian's singular values (last axis): 1 for an isometry
    (every sigma equal), 64 when one direction carries everything. Scale-free, and set by the largest sigma, so
    the tiny ones that float64 cannot resolve (below 1e-16 of the largest) do not move it."""
    s = sv / sv.max(-1, keepdims=True)
    return (s ** 4).mean(-1) / (s ** 2).mean(-1) ** 2


def spectrum_table(at0: Results, depth: int, cases=("kaiming", "edge", "orthogonal")) -> Table:
    rows = []
    for n in at0.coords["activation"]:
        row = [n]
        for c in cases:
            sv = at0.sel("sv", case=c, depth=depth, activation=n)                # [seed, input, k]
            theory_msv = at0.sel('theory_msv', case=c, depth=depth, activation=n).mean()    # over the inputs
            row += [f"{(sv ** 2).mean():.2g} [{theory_msv:.2g}]",
                    stats.at_spread(anisotropy(sv).mean(-1))]
        rows.append(row)
    header = ["activation"] + [f"{CASE_LABEL[c]}: {w}" for c in cases for w in ("mean sigma^2 [mean field]", "kappa")]
    return Table(header, rows, f"Singular values sigma of dh_{depth}/dh_1 at initialisation, depth {depth}: "
                               f"5 seeds x 10 inputs")


def init_ratio_table(at0: Results, depth: int) -> Table:
    rows = []
    for n in at0.coords["activation"]:
        row = [n]
        for c in CASES:
            meas = layer_ratio(at0.sel("grad_h", case=c, activation=n, depth=depth)[:, :depth])
            row.append(f"{stats.geo_spread(meas)} [{at0.sel('theory_h', case=c, activation=n, depth=depth)[0]:.1e}]")
        rows.append(row)
    return Table(["activation"] + [CASE_LABEL[c] for c in CASES], rows,
                 f"||dL/dh_1|| / ||dL/dh_{depth}|| at initialisation, depth {depth}: measured [mean field]")


def _small(m: float) -> str:
    """A mean that may be 0 up to rounding (odd activations average to 0 over the symmetric inputs)."""
    return f"{m:+.1e}" if abs(m) >= 1e-6 else "|m| < 1e-6"


def moments_table(at0: Results, case: str = "lecun", layers=(1, 10, 50)) -> Table:
    """Variance of a_l = phi(h_l) across a layer's units at layers `layers`, the mean of a at the last, and q = the
    mean of h^2 there against the mean-field q_l (both of h, the quantity the recursion is about)."""
    rows, top = [], layers[-1]
    for n in at0.coords["activation"]:
        var = at0.sel("var_a", case=case, activation=n)                      # [seed, layer]
        mean = at0.sel("mean_a", case=case, activation=n)
        q = at0.sel("q", case=case, activation=n)[:, top - 1]
        rows.append([n] + [stats.at_spread(var[:, l - 1]) for l in layers] + [_small(mean[:, top - 1].mean()),
                           f"{stats.geo_mean(q):.3g}", f"{at0.sel('theory_q', case=case, activation=n)[top - 1]:.3g}"])
    header = (["activation"] + [f"Var a_{l}" for l in layers]
              + [f"mean a_{top} (5 seeds)", f"q_{top} = mean h^2 (geometric mean)", f"q_{top} (mean field)"])
    return Table(header, rows,
                 f"Across the 64 units of a layer, averaged over the 200 inputs: {CASE_LABEL[case]} init")


def residual_theory_table(blk: Results) -> Table:
    """Layer 1 / layer L gradient ratio at init, depth 20: every variant measured, the residual one's mean field."""
    setting = "depth 20, lr 1e-3"
    depth = book.BLOCK_SETTINGS[setting][0]
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
    setting = next(k for k, (d, lr) in book.BLOCK_SETTINGS.items() if d == depth and lr == 1e-3)
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
    at0, grid, blk = book.stack_at_init(), init_grid(), block_grid()
    names = at0.coords["activation"]
    f["sigma_table"] = Table(["activation"] + [CASE_LABEL[c] for c in CASES],
                             [[n] + [f"{at0.sel('sigma_w2', case=c, activation=n):.3g}" for c in CASES] for n in names],
                             "sigma_w^2 = fan_in Var(W) of the hidden layers under each init")
    for d in (20, 50):
        f[f"init_ratio_{d}"] = init_ratio_table(at0, d)
    for c in CASES:
        mis = theory_misfits(at0, c, [20, 50])
        worst = max(mis, key=mis.get)
        f[f"ds_misfit_{c}"], f[f"ds_misfit_{c}_act"] = f"{mis[worst]:.2g}", activations.get(worst).label
    for d in book.STACK_DEPTHS:
        f[f"init_mse_{d}"] = grid_table(grid, "case", CASES, test_mse, geo,
                                        f"Test MSE after 500 epochs, depth {d}, Adam 1e-3", depth=d)
    f["init_floor_20"] = grid_table(grid, "case", CASES, epochs_to_floor, never,
                                    "Epochs to 2x the noise floor (train loss < 0.02), depth 20", depth=20)
    init_modes = failure.modes_of(grid, ("case", "depth"))
    f["init_modes_20"] = grid_table(grid, "case", CASES, lambda r: init_modes, mode_cell,
                                    "Majority ending over 5 seeds, depth 20", depth=20)
    f["init_ratio_200"] = grid_table(grid, "case", CASES, lambda r: grad_ratio(r, 200), geo,
                                     "||dL/dh_1|| / ||dL/dh_20|| after 200 epochs, depth 20", depth=20)
    f["init_off_20"] = grid_table(grid, "case", CASES, off_share, percent,
                                  "Units off (%) after 500 epochs, all layers, depth 20", depth=20)
    for d in (20, 50):
        f[f"spectrum_{d}"] = spectrum_table(at0, d)
    f["moments_lecun"] = moments_table(at0, "lecun")
    f["moments_default"] = moments_table(at0, "torch_default")
    f["block_mse_20"] = grid_table(blk, "variant", VARIANTS, test_mse, geo,
                                   "Test MSE after 500 epochs, depth 20, Adam 1e-3", setting="depth 20, lr 1e-3")
    f["block_floor_20"] = grid_table(blk, "variant", VARIANTS, epochs_to_floor, never,
                                     "Epochs to 2x the noise floor, depth 20, Adam 1e-3", setting="depth 20, lr 1e-3")
    f["block_mse_fast"] = grid_table(blk, "variant", VARIANTS, test_mse, geo,
                                     "Test MSE after 500 epochs, depth 10, Adam 0.1", setting="depth 10, lr 0.1")
    f["block_off_fast"] = grid_table(blk, "variant", VARIANTS, off_share, percent,
                                     "Units off (%) after 500 epochs, depth 10, Adam 0.1", setting="depth 10, lr 0.1")
    f["block_ratio_init"] = residual_theory_table(blk)
    f["block_ratio_end"] = grid_table(blk, "variant", VARIANTS, lambda r: grad_ratio(r, 500), geo,
                                      "||dL/dh_1|| / ||dL/dh_20|| after 500 epochs, depth 20",
                                      setting="depth 20, lr 1e-3")
    f["survivors"] = survivors(grid, blk)
    f |= best_fixes(grid, blk)
    f["ds_floor"] = round(FLOOR, 6)   # 2 x 0.1^2 prints as 0.020000000000000004 otherwise
    f |= at_init_numbers(at0) | trained_numbers(grid, blk)
    f["ds_rank_corr"] = isometry_rank_correlation(at0, grid)
    return {k: stats.Text(v) if isinstance(v, str) else v for k, v in f.items()}   # glued without quotes


def trained_numbers(grid: Results, blk: Results) -> dict:
    """The trained results the prose quotes, each printed as its table prints it."""
    v: dict = {}
    mse, ep, off = test_mse(grid), epochs_to_floor(grid), off_share(grid)

    def g(case, depth, name, what=mse, fmt=geo):
        return fmt(what[grid.index("case", case), grid.index("depth", depth), grid.index("activation", name)])
    for c in CASES:
        v[f"ds_sigmoid_{c}_20"] = g(c, 20, "sigmoid")
        v[f"ds_selu_{c}_20"] = g(c, 20, "selu")
        v[f"ds_ep_tanh_{c}_20"] = g(c, 20, "tanh", ep, never)
        v[f"ds_ep_selu_{c}_20"] = g(c, 20, "selu", ep, never)
        v[f"ds_off_relu_{c}_20"] = g(c, 20, "relu", off, percent)
    v["ds_off_sigmoid_edge_20"] = g("edge", 20, "sigmoid", off, percent)
    v["ds_identity_20"] = g("kaiming", 20, "identity")
    bmse, bep, boff = test_mse(blk), epochs_to_floor(blk), off_share(blk)

    def b(setting, variant, name, what=bmse, fmt=geo):
        return fmt(what[blk.index("setting", setting), blk.index("variant", variant), blk.index("activation", name)])
    slow, fast = list(book.BLOCK_SETTINGS)
    for var in VARIANTS:
        for n in ("identity", "sigmoid", "relu", "tanh"):
            v[f"ds_{var}_{n}_20"] = b(slow, var, n)
        v[f"ds_ep_{var}_relu_20"] = b(slow, var, "relu", bep, never)
        v[f"ds_ep_{var}_elu_20"] = b(slow, var, "elu", bep, never)
        v[f"ds_off_{var}_relu_fast"] = b(fast, var, "relu", boff, percent)
        reached = np.isfinite(bep[blk.index("setting", fast), blk.index("variant", var)])     # [activation, seed]
        v[f"ds_reach_fast_{var}"] = stats.count(reached.sum(-1) * 2 > reached.shape[-1])
    r0 = grad_ratio(blk, 0)[blk.index("setting", slow), blk.index("variant", "residual")]
    for n in ("relu", "tanh", "sigmoid", "selu", "gelu"):
        v[f"ds_res_ratio_{n}"] = geo(r0[blk.index("activation", n)])
        v[f"ds_res_theory_{n}"] = f"{theory.residual_profile(n, book.BLOCK_SETTINGS[slow][0])[0]:.2g}"
    return v


def at_init_numbers(at0: Results) -> dict:
    """The numbers the prose quotes from the measurements at initialisation."""
    v: dict = {}
    v["ds_edge_selu"] = f"{theory.edge_sigma_w2('selu'):.3g}"
    v["ds_chi1_selu_lecun"] = f"{theory.chi_1('selu', 1.0)[1]:.3g}"
    for c in ("edge", "orthogonal", "kaiming"):
        for n in ("tanh", "relu", "identity", "selu", "elu"):
            kappa = anisotropy(at0.sel("sv", case=c, depth=50, activation=n)).mean(-1)   # [seed]
            v[f"ds_kappa50_{c}_{n}"] = stats.at_spread(kappa)
    var = at0.sel("var_a", case="lecun", activation="selu")
    v["ds_selu_var50"] = stats.at_spread(var[:, -1])
    v["ds_selu_var1"] = stats.at_spread(var[:, 0])
    relu_q = at0.sel("q", case="lecun", activation="relu")[:, -1]
    v["ds_relu_lecun_q50"] = f"{stats.geo_mean(relu_q):.1e}"
    v["ds_relu_lecun_q50_theory"] = f"{at0.sel('theory_q', case='lecun', activation='relu')[-1]:.1e}"
    return v


def isometry_rank_correlation(at0: Results, grid: Results, depth: int = 20) -> str:
    """Spearman's rank correlation, over activation x init, between kappa at init and the median epochs to
    2x the noise floor (runs where most seeds never reach it rank last), at `depth`."""
    kappa, epochs = [], []
    ep = epochs_to_floor(grid)
    for c in grid.coords["case"]:
        for n in grid.coords["activation"]:
            kappa.append(anisotropy(at0.sel("sv", case=c, depth=depth, activation=n)).mean())
            e = ep[grid.index("case", c), grid.index("depth", depth), grid.index("activation", n)]
            epochs.append(np.nanmedian(e) if np.isfinite(e).sum() * 2 > e.size else np.inf)
    from scipy.stats import spearmanr  # ties (the runs that never reach it) get their average rank
    rho = round(float(spearmanr(kappa, epochs).statistic), 1)
    return f"{rho + 0.0:.1f}"   # + 0.0: no "-0.0"
