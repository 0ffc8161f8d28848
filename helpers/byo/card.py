"""The report card of one activation: the book's questions asked of it and of the book's eight side by side, with
the same runs, definitions and rounding. `python -m helpers card "x * tanh(softplus(x))" --name mish` writes a
folder (card.md and two figures); the eight come from the book's cached runs, the new one is trained here."""
from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import theory
from ..analysis import failure, stats
from ..analysis.measures import layer_ratio
from ..core.config import SWEEP, TrainConfig
from ..core.data import digits, make_dataset
from ..core.models import NetConfig
from ..core.store import Results
from ..engine.runs import grid
from ..experiments import at_init, cache, registry
from ..experiments.registry_deep import DIGITS_TRAIN
from ..experiments.shared_run import SEEDS
from ..findings.tables import Table, md_table

LR_SLICE = (1e-3, 1e-2, 1e-1)       # a slice of chapter 4's map: the default, ten times it, a hundred times it
MODULES = ("byo.custom", "experiments.at_init")   # what a card's runs depend on beyond the engine


def _runs(name: str) -> dict[str, tuple[float, callable]]:
    """The new activation's measurements: label -> (cost in seed-model units, computation)."""
    data, seeds = make_dataset(), list(range(SEEDS))
    edge_init, _ = at_init.INIT_CASES["edge"]
    return {
        "at init": (3, lambda: at_init.init_sweep([name], [10, 50], seeds, data, cases=("torch_default", "kaiming"))),
        "units at init": (1, lambda: at_init.init_states([name], list(range(50)), data)),
        "seed task": (SEEDS, lambda: grid([name], seeds, data, TrainConfig(log=SWEEP))),
        "learning rates": (len(LR_SLICE) * SEEDS, lambda: grid([name], seeds, data, TrainConfig(log=SWEEP),
                                                               lrs=list(LR_SLICE))),
        "depth 20": (2 * SEEDS, lambda: grid([name], seeds, data, TrainConfig(log=SWEEP), NetConfig(20))),
        "depth 10, He": (SEEDS, lambda: grid([name], seeds, data, TrainConfig(log=SWEEP), NetConfig(init="kaiming"))),
        "depth 20, critical": (2 * SEEDS, lambda: grid([name], seeds, data, TrainConfig(log=SWEEP),
                                                       NetConfig(20, init=edge_init),
                                                       weight_scale={name: at_init.case_scales("edge", [name])[0]})),
        "digits": (SEEDS, lambda: grid([name], seeds, digits(), DIGITS_TRAIN)),
    }


def measure(name: str, formula: str | None = None, log=print) -> dict[str, Results]:
    """Train and probe the new activation, saying first what and about how long, then each piece as it ends.
    With a formula the results are cached under it (a second card of the same formula trains nothing)."""
    from ..experiments.precompute import MINUTES_PER_COST
    runs = _runs(name)
    total = sum(c for c, _ in runs.values())
    log(f"measuring {name}: {len(runs)} pieces, about {max(1, round(MINUTES_PER_COST * total))} minute(s) on this "
        "machine")
    out, t0 = {}, time.perf_counter()
    for i, (label, (_, compute)) in enumerate(runs.items(), 1):
        key = dict(name=name, formula=formula, piece=label, seeds=SEEDS, lrs=list(LR_SLICE), sweep=asdict(
            TrainConfig(log=SWEEP)))
        out[label] = cache.cached("card", key, compute, modules=MODULES) if formula else compute()
        log(f"  [{i}/{len(runs)}] {label} done, {time.perf_counter() - t0:.0f} s in all")
    return out


def book_runs() -> dict[str, Results]:
    """The same measurements of the book's eight, from its cached runs (computed first if missing)."""
    from ..experiments.precompute import compute_missing
    compute_missing(["init_sweep", "init_states", "lr_sweep", "depth_by_activation", "stack_inits", "digits"])
    stack = registry.stack_inits()
    return {"at init": registry.init_sweep(), "units at init": registry.init_states(), "seed task": registry.seed_run(),
            "learning rates": registry.lr_sweep(), "depth 20": registry.depth_by_activation(), "depth 10, He": stack,
            "depth 20, critical": stack, "digits": registry.digits_run()}


def _ratio(res: Results, name: str, case: str, depth: int) -> str:
    g = res.sel("grad_h", case=case, activation=name, depth=depth)[:, :depth]          # [seed, layer]
    pred = res.sel("theory_h", case=case, activation=name, depth=depth)[0]
    return f"{stats.geo_spread(layer_ratio(g))} [{stats.sig2(pred)}]"


def criticality(name: str) -> tuple[str, str]:
    w = [theory.weight_variance(i, 64, 64) for i in ("torch_default", "kaiming")]
    chi = " / ".join(f"{theory.chi_1(name, 64 * vw, vb)[1]:.2f}" for vw, vb in w)
    try:
        crit = theory.critical_sigma_w2(name)
        return chi, (f"{crit:.3g}" if math.isfinite(crit) else "none: chi_1 never crosses 1 continuously")
    except (ValueError, ArithmeticError) as exc:
        return chi, f"none ({exc})"


def seed_task_summary(res: Results, name: str, data, where: dict | None = None) -> list[str]:
    """Final train MSE, test MSE on [-pi, pi] and MSE on [-2 pi, 2 pi] of the seed task (mean ± sd over seeds)."""
    where = where or {}
    pred = res.sel("pred", activation=name, **where)[..., -1, :]                       # [seed, x]
    wide = ((pred - data.y_wide[:, 0].numpy()) ** 2).mean(-1)
    keep = ~failure.diverged(res)[res.index("activation", name)]
    return [stats.at_spread(np.where(keep, v, np.nan)) for v in
            (res.sel("final_train_mse", activation=name, **where), res.sel("final_test_mse", activation=name, **where),
             wide)]


def rows(new: dict[str, dict[str, Results]], ref: dict[str, Results]) -> dict[str, Table]:
    """The card's three tables: the new activations first (name -> their measurements), then the book's eight."""
    from ..core.activations import get
    data = make_dataset()
    at0, trained, deep = [], [], []
    for act, r in list(new.items()) + [(a, ref) for a in registry.ACTS]:
        chi, crit = criticality(act)
        st = r["units at init"].sel("unit_states", init="torch_default", activation=act)      # [seed, layer, state]
        states = r["units at init"].coords["unit_state"]
        off, dead = (st[..., states.index(s)].mean() for s in ("off", "dead"))
        at0.append([act, chi, crit, _ratio(r["at init"], act, "torch_default", 10),
                    _ratio(r["at init"], act, "torch_default", 50), _ratio(r["at init"], act, "kaiming", 50),
                    f"{off:.0%}", f"{dead:.0%}"])
        lr = r["learning rates"]
        idx = [lr.index("lr", x) for x in LR_SLICE]
        maj, cnt = failure.majority(failure.modes_of(lr)[lr.index("activation", act)][idx])
        trained.append([act] + seed_task_summary(r["seed task"], act, data) +
                       [f"{failure.SHORT[failure.MODES[m]]} {c}/{SEEDS}" for m, c in zip(maj, cnt)])
        d20 = r["depth 20"]
        default = (d20.sel("final_test_mse", activation=act, depth=20, lr=1e-3) if "depth" in d20.dims["loss"]
                   else d20.sel("final_test_mse", activation=act))
        he = r["depth 10, He"]
        he10 = (he.sel("final_test_mse", case="kaiming", depth=10, activation=act) if "case" in he.coords
                else he.sel("final_test_mse", activation=act))
        crit_res = r["depth 20, critical"]
        critical = (crit_res.sel("final_test_mse", case="edge", depth=20, activation=act) if "case" in crit_res.coords
                    else crit_res.sel("final_test_mse", activation=act))
        dg = r["digits"]
        acc = (dg.sel("final_test_accuracy", init="torch_default", depth=10, activation=act) if "init" in dg.coords
               else dg.sel("final_test_accuracy", activation=act))
        deep.append([act, stats.at_spread(he10), stats.at_spread(default), stats.at_spread(critical),
                     stats.at_spread(100 * acc)])
        # the label now, while the activation is registered (a reader's may be gone when the table is shown);
        # a built-in's card shows its fresh runs above the book's
        for table in (at0, trained, deep):
            table[-1][0] = get(act).label + (" (this card)" if r is not ref and act in registry.ACTS else "")
    return {
        "at init": Table(["activation", "chi_1 default / He", "critical sigma_w^2",
                          "||dL/dh_1|| / ||dL/dh_10||, default", "depth 50, default", "depth 50, He", "units off",
                          "units dead"], at0,
                         "At initialisation (10 x 64 unless said): measured, 5 seeds [mean field]; units over 50 "
                         "networks"),
        "trained": Table(["activation", "train MSE", "test MSE", "MSE on [-2 pi, 2 pi]"] +
                         [f"Adam {x:g}" for x in LR_SLICE], trained,
                         "The seed task (10 x 64, Adam 1e-3, 500 epochs, 5 seeds) and how it ends at larger steps"),
        "deep": Table(["activation", "depth 10 test MSE, He init", "depth 20, default init", "depth 20, critical init",
                       "digits accuracy (%), depth 10"], deep, "Other inits, depth and real data (5 seeds)")}


def write(name: str, out: Path, formula: str | None = None, log=print) -> Path:
    """Measure, compare and write the card into `out`: all of it or, on any failure, nothing."""
    from .. import plotting
    from ..core import activations
    new, ref = measure(name, formula, log), book_runs()
    tables = rows({name: new}, ref)
    act = activations.get(name)
    tmp = Path(tempfile.mkdtemp(prefix=".card-", dir=out.parent))
    try:
        plotting.save(plotting.card.functions(name), tmp / "activation.png")
        plotting.save(plotting.card.extrapolation(name, new["seed task"], ref["seed task"]), tmp / "learned.png")
        lines = [f"# Report card: {act.label}", "", f"phi(x) = {formula or act.formula}", "",
                 "Each question of the book asked of this activation, next to the book's eight, with the same runs, "
                 "definitions and rounding (values: mean ± sd or geometric mean ×/÷ spread over seeds).", "",
                 "![the activation and its derivative](activation.png)", ""]
        for t in tables.values():
            lines += [f"**{t.title}**", "", *md_table(t.header, t.rows), ""]
        lines += ["![what the networks learned, inside and outside the training interval](learned.png)", ""]
        (tmp / "card.md").write_text("\n".join(lines))
        if out.exists():
            shutil.rmtree(out)
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "card.md"
