"""The sine task's findings tested on the digits, row by row: the same statement, the same rule, both tasks
(chapter 8's comparison table and the summary's). Also how the digits runs are laid out like the sine runs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import failure, stats
from ..analysis.measures import layer_ratio
from ..core import activations
from ..core.store import Results
from ..experiments import registry
from .gradients import theory_misfits
from .tables import Table


def at_init(res: Results) -> Results:
    """||dL/dh_l|| at initialisation and its mean-field prediction, as chapter 2's init sweep lays them out
    (dims case, depth, activation, [seed,] layer), so plotting.gain_profiles draws them."""
    g = res["grad_h"][..., res.coords["grad_epoch"].index(0), :]
    return Results({"grad_h": g, "theory_h": res["theory_h"]},
                   {"grad_h": ("case", "depth", "activation", "seed", "layer"),
                    "theory_h": ("case", "depth", "activation", "layer")},
                   {**{k: res.coords[k] for k in ("depth", "activation", "seed", "layer")}, "case": res.coords["init"]})


def view(res: Results, init: str, depth: int) -> Results:
    """The runs of one init and depth, laid out like a one-shape grid (activation, seed, ...), with the
    layer dim cut to `depth` (deeper shapes pad it with NaN)."""
    arrays, dims = {}, {}
    for k, a in res.arrays.items():
        d = list(res.dims[k])
        for dim, value in (("init", init), ("depth", depth)):
            if dim in d:
                a = np.take(a, res.index(dim, value), axis=d.index(dim))
                d.remove(dim)
        if "layer" in d:
            a = np.take(a, range(depth), axis=d.index("layer"))
        arrays[k], dims[k] = a, tuple(d)
    coords = {**res.coords, "layer": list(range(1, depth + 1))}
    return Results(arrays, dims, coords, res.meta)


@dataclass
class Task:
    """What the comparison reads from one task: its 10-layer default-init runs (dims activation, seed, ...), its
    learning-rate sweep, its measurements at init (with mean field), the final training loss per activation (in
    run's order) and seed at depths 10 and 20 (default init), per seed whether the identity network's training
    fit came close to the best linear model's (and that rule in words), and the epoch of step 500. Cells print
    counts, so that a seed ending otherwise on another CPU moves a count (helpers.analysis.agreement tolerates
    that), not a rounded mean."""

    run: Results
    sweep: Results
    init: Results
    loss_by_depth: dict[int, np.ndarray]
    identity: tuple[np.ndarray, str]
    end_epoch: int


# A fact is (what the task printed, its truth): TRUE, FALSE, or OPPOSITE where the contrary statement holds.
TRUE, FALSE, OPPOSITE = 1, 0, -1


def _most(flags, what: str = "activations", opposite=None) -> tuple[str, int]:
    """'k/n activations' and whether most of them satisfy the statement (or, given, most its opposite)."""
    flags = np.asarray(flags, dtype=bool)
    if opposite is not None and 2 * np.sum(opposite) > flags.size:
        return f"{int(flags.sum())}/{flags.size} {what}", OPPOSITE
    return f"{int(flags.sum())}/{flags.size} {what}", TRUE if 2 * flags.sum() > flags.size else FALSE


def _geo_ratio(run: Results, epoch: int) -> np.ndarray:
    """Layer 1 / layer 10 of ||dL/dh_l|| per activation: geometric mean over the seeds that did not diverge."""
    r = layer_ratio(run["grad_h"][:, :, run.coords["grad_epoch"].index(epoch)])
    r = np.where(failure.diverged(run), np.nan, r)
    return np.array([stats.geo_mean(row[np.isfinite(row)]) for row in r])


PLATEAU_D20 = ("sigmoid", "gelu", "silu")   # chapter 4: on the plateau at depth 20 within 500 epochs
FAILED = tuple(failure.MODES.index(m) for m in ("plateau", "collapsed", "diverged"))


def facts(t: Task) -> dict[str, tuple[str, int]]:
    """Per comparison row: (what the task printed, whether the row's statement holds on it)."""
    out = {}
    for case, key, limit in (("torch_default", "misfit_default", 2), ("kaiming", "misfit_he", 5)):
        name, worst = max(theory_misfits(t.init, case, (10, 20)).items(), key=lambda kv: kv[1])
        named = f" (worst: {activations.get(name).label})" if case == "kaiming" else ""   # default: near-ties
        out[key] = (f"within {worst:.2g}x{named}", TRUE if worst <= limit else FALSE)
    r0 = _geo_ratio(t.run, 0) < 1
    out["vanish"] = (f"{int(r0.sum())}/{r0.size} activations", TRUE if r0.all() else FALSE)
    marks = t.run.meta["config"]["landmarks"]
    out["sigmoid"] = _most(failure.final_loss(t.run.sel("loss", activation="sigmoid")) < 0.9 * marks["constant"],
                           "seeds")
    stuck = {n: t.loss_by_depth[20][t.run.index("activation", n)] >= 0.9 * marks["constant"] for n in PLATEAU_D20}
    out["plateau_d20"] = (", ".join(f"{n} {int(v.sum())}/{v.size}" for n, v in stuck.items()),
                          TRUE if all(2 * v.sum() > v.size for v in stuck.values()) else FALSE)
    r_end = _geo_ratio(t.run, t.end_epoch)
    out["ratio_end"] = _most(r_end < 1, opposite=r_end > 1)
    off = [t.run.sel("unit_states", activation=n, unit_state="off")[:, -1, :].mean(-1)   # [seed]
           for n in ("relu", "leaky_relu", "gelu")]
    out["off_order"] = _most((off[0] > off[1]) & (off[1] > off[2]), "seeds")
    modes = failure.modes_of(t.sweep)
    big = [i for i, lr in enumerate(t.sweep.coords["lr"]) if lr >= 0.1]
    runs = {n: modes[t.sweep.index("activation", n), big].ravel() for n in ("relu", "leaky_relu")}
    hits = [(runs["relu"] == failure.MODES.index("collapsed")), (runs["leaky_relu"] == failure.MODES.index("diverged"))]
    out["big_lr"] = (f"ReLU collapsed {hits[0].sum()}/{hits[0].size}, "
                     f"Leaky ReLU diverged {hits[1].sum()}/{hits[1].size}",
                     TRUE if 2 * hits[0].sum() > hits[0].size and 2 * hits[1].sum() > hits[1].size else FALSE)
    maj, _ = failure.majority(modes)
    lrs = np.array(t.sweep.coords["lr"])
    fails_early = [bool(np.isin(maj[a, (lrs >= 1e-3) & (lrs < 0.1)], FAILED).any()) for a in range(len(maj))]
    out["lr_fail"] = _most(~np.array(fails_early))
    close, rule = t.identity
    text, truth = _most(close, "seeds")
    out["identity"] = (f"{text} {rule}", truth)
    return out


ROWS = (  # (key, the statement: the rule that tests it on each task)
    ("misfit_default", "mean field predicts layer 1 / layer L at default init within 2x (depths 10, 20)"),
    ("misfit_he", "... and at He init within 5x"),
    ("vanish", "at default init every activation's gradient shrinks toward the input (depth 10)"),
    ("sigmoid", "sigmoid (default init, depth 10) ends more than 10% below the best constant's loss, most seeds"),
    ("plateau_d20", "at depth 20 (default init) sigmoid, GELU and SiLU end on the plateau (loss >= 0.9 x the "
                    "best constant's), most seeds"),
    ("ratio_end", "after 500 steps layer 1's backpropagated signal ||dL/dh|| is below layer 10's, most activations"),
    ("off_order", "units off at the end (mean over layers): ReLU > Leaky ReLU > GELU, most seeds"),
    ("big_lr", "at learning rates >= 0.1 most ReLU runs collapse and most Leaky ReLU runs diverge"),
    ("lr_fail", "no plateau, collapse or divergence at Adam rates 1e-3 to 0.03, most activations"),
    ("identity", "the identity network fits the training data as well as the best linear model, most seeds"),
)


def comparison(sine: dict, dig: dict) -> Table:
    """Each finding of the sine chapters next to its digits counterpart, both tested by the rule in the row:
    'holds' where it is true on the digits too, 'reverses' where the digits show its opposite (layer 1 gets more
    gradient, not less), 'changes' where it is simply not true there."""
    rows = []
    for key, statement in ROWS:
        (s_text, s_truth), (d_text, d_truth) = sine[key], dig[key]
        verdict = ("not a sine finding" if s_truth != TRUE else
                   {TRUE: "holds", OPPOSITE: "reverses", FALSE: "changes"}[d_truth])
        rows.append([statement, s_text, d_text, verdict])
    return Table(["finding (the rule that tests it on each task)", "sine task", "digits", "verdict"], rows,
                 "Does it transfer? Each sine-task finding tested on the digits")


def sine_task() -> Task:
    """The sine task's side of the comparison (chapters 1 to 4's runs)."""
    run = registry.seed_run()
    by_depth = registry.depth_by_activation()
    final = failure.final_loss(by_depth["loss"])[..., 0, :]                       # [depth, act, seed]
    line = run.meta["config"]["landmarks"]["linear"]
    close = np.abs(run.sel("final_train_mse", activation="identity") - line) <= 0.25 * line
    return Task(run, registry.lr_sweep(), registry.init_sweep(),
                {d: final[by_depth.index("depth", d)] for d in (10, 20)},
                (close, f"within 25% of the least-squares line's training MSE ({line:.3f})"), 500)


def digits_task(res: Results, sweep: Results, linear_train_acc: float) -> Task:
    """The digits' side: default init, depth 10 against 20; the identity network's training accuracy within
    1 point of the best linear classifier's (linear_train_acc, a fraction)."""
    default = res.index("init", "torch_default")
    loss = failure.finite(res["final_train_loss"], res)[default]                # [depth, act, seed]
    ident = failure.finite(res["final_train_accuracy"], res)[default, 0, res.index("activation", "identity")]
    return Task(view(res, "torch_default", 10), sweep, at_init(res),
                {d: loss[res.index("depth", d)] for d in (10, 20)},
                (np.abs(ident - linear_train_acc) <= 0.01,
                 f"within 1 point of the training accuracy of a linear classifier with C = 1e4 "
                 f"({100 * linear_train_acc:.1f}%)"), 50)
