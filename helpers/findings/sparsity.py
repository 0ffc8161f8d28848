"""Chapter 3, sparsity and dead units: closed forms and infinite-width predictions at initialisation,
revival and death during training, value sparsity, and what large learning rates do to units."""
from __future__ import annotations

import numpy as np
import torch

from ..analysis import failure, measures, rebuild, stats
from ..core import activations
from ..core.data import make_dataset
from ..experiments import registry
from ..experiments.explorer_stats import on_interval
from ..theory import dead_at_birth
from .tables import Table

LRS = (1e-3, 1e-2, 3.16e-2, 0.1)


def transitions(res, name: str) -> dict[str, np.ndarray]:
    """Per layer, summed over seeds: units off (on for no grid input) at initialisation, how many of
    those are on at the end (revived), and how many units born on are off at the end (died)."""
    u = res.sel("unit_active", activation=name)                  # [seed, state epoch, layer, unit]
    off0, off_end = u[:, 0] == 0, u[:, -1] == 0
    return {"off at init": off0.sum((0, 2)), "revived": (off0 & ~off_end).sum((0, 2)),
            "died": (~off0 & off_end).sum((0, 2))}


def can_be_dead(name: str) -> bool:
    """Whether phi' is exactly 0 on a whole interval (more than 1% of [-10, 10]): only then can a unit be dead."""
    d = activations.get(name).derivative(torch.linspace(-10, 10, 20_001, dtype=torch.float64))
    return float((d == 0).double().mean()) > 0.01


def findings() -> dict:
    res, init, data = registry.seed_run(), registry.init_states(), make_dataset()
    f: dict = {}
    rows = []
    for name in registry.ACTS:
        lo, hi = on_interval(name)      # the one definition (the explorers use it too)
        rows.append([name, f"{lo:.2f} < h < {hi:.2f}", "yes" if can_be_dead(name) else "no"])
    f["gelu_slope0_share"] = round(100 * 0.5 / activations.get("gelu").slope_range()[1])   # phi'(0) = 1/2
    f["on_table"] = Table(["activation", "on for", "can be dead"], rows,
                          "Where a unit is on: |phi'(h)| >= 25% of its maximum")
    # theory 1: first layer
    first = init.sel("unit_states", init="torch_default", activation="relu", unit_state="dead")[:, 0]
    f["p_dead1"] = round(dead_at_birth.p_dead_first_layer(), 4)
    f["p_dead1_mc"] = round(dead_at_birth.p_dead_first_layer_mc(), 4)
    f["p_dead1_measured"] = stats.at_spread(first)
    f["first_layer_se"] = float(f"{first.std(ddof=1) / np.sqrt(first.size):.1g}")
    f["n_first_units"] = first.size * 64
    # theory 2: every layer
    rows = []
    for i in init.coords["init"]:
        dead = init.sel("unit_states", init=i, activation="relu", unit_state="dead")       # [seed, layer]
        pred = dead_at_birth.relu_dead_profile(init=i)
        rows.append([f"{i}, measured"] + [f"{v:.2f}" for v in dead.mean(0)])
        rows.append([f"{i}, predicted"] + [f"{v:.2f}" for v in pred])
        f[f"dead10_{i}"] = round(float(dead.mean(0)[-1]), 2)
    f["dead_profile_table"] = Table(["dead ReLU units"] + [f"layer {l}" for l in init.coords["layer"]], rows,
                                    f"Fraction of dead ReLU units at init ({len(init.coords['seed'])} seeds) "
                                    "against the infinite-width prediction")
    # ReLU and Leaky ReLU at the same weights: off in the same places?
    u = {n: init.sel("unit_active", init="torch_default", activation=n) == 0 for n in ("relu", "leaky_relu")}
    differ = (u["relu"] != u["leaky_relu"])
    f["off_init_relu"], f["off_init_leaky_relu"] = int(u["relu"].sum()), int(u["leaky_relu"].sum())
    f["off_differ"] = int(differ.sum())
    f["off_differ_layer1"] = int(differ[:, 0].sum())
    f["off_units_total"] = int(u["relu"].size)
    # theory 3: narrow networks
    bd = registry.born_dead()
    rows = []
    for w in (2, 4, 8):
        for L in (10, 50):
            i, j = bd.index("width", w), bd.index("depth", L)
            rows.append([str(w), str(L), f"{dead_at_birth.p_point_dead(w, L):.3f}", f"{bd['point_dead'][i, j]:.3f}",
                         f"{bd['born_dead'][i, j]:.3f}"])
    f["born_dead_table"] = Table(["width", "depth", "one input dead: formula", "simulated", "born dead: simulated"],
                                 rows, f"Zero-bias ReLU networks, {bd.meta['config']['samples']} per cell")
    f["pd_64"] = float(f"{dead_at_birth.p_point_dead(64, 10):.0e}")
    f["bd_2_10"] = round(float(bd["born_dead"][bd.index("width", 2), bd.index("depth", 10)]), 2)
    # theory 4: revival and death in the seed run
    rows = []
    for name in ("relu", "leaky_relu", "elu", "gelu", "silu"):
        t = transitions(res, name)
        rows.append([name] + [str(int(t[k].sum())) for k in ("off at init", "revived", "died")]
                    + [str(int(t[k][0])) for k in ("off at init", "revived", "died")])
        for k in ("off at init", "revived", "died"):
            f[f"{k.split()[0]}_{name}"] = int(t[k].sum())
        f[f"l1_off_{name}"], f[f"l1_revived_{name}"] = int(t["off at init"][0]), int(t["revived"][0])
    f["transitions_table"] = Table(["", "off at init", "revived", "switched off", "layer 1: off", "revived",
                                    "switched off"], rows,
                                   f"Units of the seed run ({len(res.coords['seed'])} seeds x 10 layers x 64): "
                                   "revived = off at init, on at the end; switched off = on at init, off at the end "
                                   "(dead, for ReLU: the only activation here whose units can die)")
    # over training: derivative-based states and value sparsity, mean over layers
    st = res.coords["unit_state"]
    rows = []
    for a, name in enumerate(res.coords["activation"]):
        s = res["unit_states"][a].mean(-2)                      # [seed, state epoch, state]
        z = res["value_zero"][a].mean(-1)                       # [seed, state epoch]
        cells = [stats.at_spread(s[:, e, st.index(k)]) for k in ("active", "off") for e in (0, -1)]
        cells += [stats.at_spread(z[:, e]) for e in (0, -1)]
        rows.append([name] + cells)
        for k in ("active", "off"):
            f[f"{k}_end_{name}"] = stats.rounded(s[:, -1, st.index(k)])
        f[f"zero_end_{name}"] = stats.rounded(z[:, -1])
    f["states_table"] = Table(["mean over layers", "active, init", "active, end", "off units, init", "off units, end",
                               "zero values, init", "zero values, end"], rows,
                              "Active (input, unit) pairs, off units, and zero activation values "
                              "(mean ± sd over seeds)")
    # large learning rates
    sweep = registry.lr_sweep()
    div = failure.diverged(sweep)
    rows = []
    for a, name in enumerate(sweep.coords["activation"]):
        off = sweep.sel("unit_states", activation=name, unit_state="off")[:, :, -1].mean(-1)   # [lr, seed]
        cells_off, cells_mse = [], []
        for lr in LRS:
            i = sweep.index("lr", lr)
            cells_off.append(stats.at_spread(np.where(div[a, i], np.nan, off[i])))
            mse = np.where(div[a, i], np.nan, sweep.sel("final_train_mse", activation=name, lr=lr))
            cells_mse.append(stats.at_spread(mse))
        rows.append([name] + cells_off + cells_mse)
        f[f"off_lr01_{name}"] = stats.rounded(np.where(div[a, sweep.index("lr", 0.1)], np.nan,
                                                       off[sweep.index("lr", 0.1)]))
    modes = failure.modes_of(sweep)
    i01 = sweep.index("lr", 0.1)
    for name in ("relu", "leaky_relu", "elu"):
        a = sweep.index("activation", name)
        for mode in ("collapsed", "diverged"):
            f[f"{mode}_lr01_{name}"] = stats.count(modes[a, i01] == failure.MODES.index(mode))
    f["lr_table"] = Table(["activation"] + [f"off at {lr:g}" for lr in LRS] + [f"MSE at {lr:g}" for lr in LRS], rows,
                          f"Units off at the end (mean over layers) and final train MSE, Adam, "
                          f"{len(sweep.coords['seed'])} seeds; diverged runs are counted, not averaged")
    # the flat region
    mass = {w: measures.flat_mass(net, data.x_test.double()).numpy()
            for w, net in (("init", rebuild.initial(res)), ("end", rebuild.trained(res)))}
    per = len(res.coords["seed"])
    rows = [[name] + [stats.at_spread(mass[w][a * per:(a + 1) * per, l - 1])
                      for l in (1, 5, 10) for w in ("init", "end")]
            for a, name in enumerate(res.coords["activation"])]
    f["flat_table"] = Table([""] + [f"L{l} {w}" for l in (1, 5, 10) for w in ("init", "end")], rows,
                            "Share of (input, unit) pairs where |phi'| < 1% of its maximum (mean ± sd over seeds)")
    return f
