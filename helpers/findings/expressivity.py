"""Chapter 5, expressivity: the linear collapse, exact linear pieces, depth separation (the tent map),
what fixed budgets can represent against what Adam finds in 500 epochs, extrapolation and spectral bias."""
from __future__ import annotations

import math

import numpy as np
import torch

from ..analysis import rebuild, stats
from ..core.data import best_line, landmarks, make_dataset, on_training_interval, target_fn
from ..core.models import tent_mlp
from ..engine import probes
from ..experiments import registry
from .gradients import first_crossing
from .tables import Table, Tables


def construction_pieces(depth: int, width: int) -> int:
    """Pieces of a piecewise-linear function that a ReLU network of this shape computes exactly by a simple
    construction: every layer carries x (one unit, relu(x + pi)) and, after the first, the running sum of
    the pieces so far (one unit, shifted to stay positive); the other units add one kink each. One layer of
    n units: n - 1 kinks plus the carried x for the first piece's slope."""
    return (width - 1) + (depth - 1) * (width - 2) + 1


def interpolation_mse(target: str, k: float, pieces: int) -> float:
    """Test MSE of the piecewise-linear interpolant of the clean target at pieces + 1 equally spaced knots on
    [-pi, pi] (what construction_pieces' networks can compute), on the dense test grid."""
    d = make_dataset(target, k)
    knots = np.linspace(-math.pi, math.pi, pieces + 1)
    f = target_fn(target, k)(torch.from_numpy(knots)).numpy()
    x = d.x_test[:, 0].numpy()
    return float(np.mean((np.interp(x, knots, f) - d.y_test[:, 0].numpy()) ** 2))


def findings() -> dict:
    res, data = registry.seed_run(), make_dataset()
    f: dict = {}
    # the linear collapse
    slope, intercept = best_line(data)
    x_wide = np.asarray(res.coords["x_wide"])
    pred = res.sel("pred", activation="identity")[:, -1, :].astype(float)       # [seed, x] (stored in float32)
    net_slope = (pred[:, -1] - pred[:, 0]) / (x_wide[-1] - x_wide[0])
    net_intercept = pred[:, len(x_wide) // 2]
    dev = np.abs(pred - (net_slope[:, None] * x_wide + net_intercept[:, None])).max()
    f["linear_table"] = Table(["", "slope", "intercept", "train MSE"], [
        ["least squares", f"{slope:.4f}", f"{intercept:.5f}", f"{landmarks(data)['linear']:.4f}"],
        [f"trained ({len(res.coords['seed'])} nets)", stats.at_spread(net_slope), stats.at_spread(net_intercept),
         stats.at_spread(res.sel("final_train_mse", activation="identity"))]],
        "The linear network against least squares")
    f["ls_slope"] = round(slope, 4)
    f["straight_line_dev"] = "below 1e-5" if dev < 1e-5 else f"{dev:.0e}"    # predictions are stored in float32
    # pieces at init and trained
    init = registry.init_pieces()
    p = init["pieces"]
    f["init_pieces_table"] = Table(["depth"] + [str(w) for w in init.coords["width"]],
                                   [[str(d)] + [f"{np.median(p[0, i, j]):.0f}" for j in range(p.shape[2])]
                                    for i, d in enumerate(init.coords["depth"])],
                                   "Median linear pieces at init (PyTorch default), rows depth, columns width")
    f["init_pieces_table"].rows.append(["He, any"] + [" or ".join(map(str, sorted(set(p[1, :, j].ravel().tolist()))))
                                                      for j in range(p.shape[2])])
    f["he_pieces"] = " or ".join(map(str, sorted(set(p[1].ravel().tolist()))))
    rows, points = [], []
    for name in ("relu", "leaky_relu"):
        counts = probes.linear_pieces(rebuild.trained(res, activation=name))
        rows.append([name, stats.at_spread(counts)])
        f[f"pieces_trained_{name}"] = stats.rounded(counts)
        f[f"pieces_seed_{name}"] = {"units": 10 * 64, "pieces": counts}
    budget = registry.budget_grid()
    for depth, width in budget.meta["config"]["shapes"]:
        net = rebuild.trained(budget, params=f"params_L{depth}_W{width}", depth=depth, width=width,
                              target="sin(6x)", activation="relu")
        counts = probes.linear_pieces(net)
        rows.append([f"relu {depth} x {width} on sin(6x)", stats.at_spread(counts)])
        points.append((depth * width, counts))
    f["pieces_budget"] = points                       # [(units, pieces per seed)] for the figure
    f["trained_pieces_table"] = Table(["trained network", "pieces"], rows,   # per seed: not portable
                                      "Linear pieces on [-pi, pi] after training (mean ± sd over seeds)")
    # the tent map
    tent = registry.tent()
    rows = [["hand-built 4 x 2", "0 (exact)", str(probes.linear_pieces(tent_mlp(4)).item())]]
    for depth, width in tent.meta["config"]["shapes"]:
        tag = f"L{depth}_W{width}"
        net = rebuild.trained(tent, params=f"params_{tag}", depth=depth, width=width, activation="relu")
        mse = tent[f"test_mse_{tag}"]
        rows.append([f"trained {depth} x {width}", stats.at_spread(mse), stats.at_spread(probes.linear_pieces(net))])
        f[f"tent_{depth}_{width}"] = stats.rounded(mse)
    y = make_dataset("tent", 4).y_test.double()
    f["tent_constant"] = round(float(((y - y.mean()) ** 2).mean()), 3)      # the test MSE of the best constant
    f["tent_table"] = Table(["", "test MSE", "linear pieces"], rows,
                        "The tent map composed 4 times (16 pieces); mean ± sd over seeds")
    # fixed budget: what Adam found in 500 epochs, and what the shape can represent
    mse = budget["final_test_mse"]                                         # [shape, target, activation, seed]
    med = np.median(mse, -1)
    f["budget_tables"] = Tables({name: Table(["shape"] + budget.coords["target"],
                                      [[s_] + [stats.at_spread(mse[i, j, a]) for j in range(mse.shape[1])]
                                       for i, s_ in enumerate(budget.coords["shape"])],
                                      f"{name}: test MSE after 500 epochs (mean ± sd over seeds)")
                          for a, name in enumerate(budget.coords["activation"])})
    for i, s_ in enumerate(budget.coords["shape"]):
        f[f"sin6_relu_{s_}"] = stats.rounded(mse[i, budget.index("target", "sin(6x)"),
                                                  budget.index("activation", "relu")])
    rows, worst_sine = [], 0.0
    for depth, width in budget.meta["config"]["shapes"]:
        pieces = construction_pieces(depth, width)
        errs = [interpolation_mse(t, k, pieces) for t, k in budget.meta["config"]["targets"]]
        worst_sine = max(worst_sine, max(e for e, (t, _) in zip(errs, budget.meta["config"]["targets"]) if t == "sin"))
        rows.append([f"{depth} x {width}", str(pieces)] + [f"{e:.1e}" for e in errs])
    f["representable_table"] = Table(["shape", "pieces"] + budget.coords["target"], rows,
                                     "Test MSE of the piecewise-linear interpolant that a network of each shape "
                                     "computes exactly (construction_pieces)")
    f["interp_sin6_700"] = float(f"{interpolation_mse('sin', 6, construction_pieces(1, 700)):.1e}")
    f["interp_worst_sine"] = float(f"{worst_sine:.1e}")
    saw = budget.index("target", "sawtooth(3x)")
    saw_interp = [interpolation_mse("sawtooth", 3, construction_pieces(d, w))
                  for d, w in budget.meta["config"]["shapes"]]
    f["interp_saw_range"] = f"{min(saw_interp):.0e} to {max(saw_interp):.0e}"
    f["saw_relu_best"] = stats.rounded(mse[:, saw, budget.index("activation", "relu")].min(0))
    sin6, deepest_shape = budget.index("target", "sin(6x)"), len(budget.coords["shape"]) - 1
    deepest = [name for a, name in enumerate(budget.coords["activation"])      # the identity cannot bend at all
               if name != "identity" and np.argmin(med[:, sin6, a]) == deepest_shape]
    f["deepest_best_sin6"] = ", ".join(deepest) if deepest else "none"
    # extrapolation
    outside, right = ~on_training_interval(x_wide), x_wide > 1.5 * np.pi
    clean = data.y_wide[:, 0].numpy()
    rows = []
    for name in res.coords["activation"]:
        p = res.sel("pred", activation=name)[:, -1, :].astype(float)
        mse_out = ((p[:, outside] - clean[outside]) ** 2).mean(-1)
        slope_end = (p[:, -1] - p[:, right.argmax()]) / (x_wide[-1] - x_wide[right.argmax()])
        rows.append([name, stats.at_spread(mse_out), stats.at_spread(slope_end)])
    f["extrapolation_table"] = Table(["", "MSE vs the clean target outside [-pi, pi]", "slope near x = 2 pi"], rows,
                                     "Extrapolation to [-2 pi, 2 pi]")
    # spectral bias
    spec = registry.spectral()
    xs = np.asarray(spec.coords["x_wide"])
    inside = on_training_interval(xs)
    epochs = spec.coords["record_epoch"]
    rows = []
    for name in spec.coords["activation"]:
        comps = stats.cosine_components(spec.sel("pred", activation=name)[..., inside], xs[inside], (1, 3, 5))
        t = first_crossing(np.moveaxis(comps / np.array([1.0, 0.5, 0.25]), -1, 0), epochs, 0.5)  # [k, seed]
        cells = [stats.at_spread(v[v > 0]) + ("" if (v > 0).all() else f" ({(v > 0).sum()}/{v.size})")
                 if (v > 0).any() else "never" for v in t]
        rows.append([name] + cells)
        if name == "relu":
            for k, v in zip((1, 3, 5), t):
                f[f"half_relu_{k}"] = stats.rounded(v[v > 0]) if (v > 0).any() else "never"
    f["spectral_table"] = Table(["", "cos(x)", "cos(3x)", "cos(5x)"], rows,
                                "First logged epoch at which half of each component is learned (mean ± sd over seeds)")
    return f
