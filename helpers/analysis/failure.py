"""How a training run ended, decided by explicit rules on its logged curves: one definition used
everywhere in the book (chapter 4 introduces it).

Rules, checked in this order for each run:

1. diverged: the loss turned non-finite (the epoch is recorded), or the run ended with a loss more
   than 10 times the best constant predictor's (it exploded without overflowing);
2. collapsed: the final loss is no better than 0.9 x the best constant's *and* some hidden layer is
   frozen: every unit of it saturated, |phi'| < 1% of its maximum for every input (for ReLU: dead),
   so the layers below it receive at most 1% of their gradient per unit and the output is stuck;
3. plateau: the final loss is no better than 0.9 x the best constant's, with no frozen layer
   (gradients still reach every layer; the run may leave the plateau later);
4. converged: the final loss is within 2x the best any learning rate (and depth, in a depth sweep)
   reached for this activation (median over seeds) -- a good fit by that activation's own standard;
5. oscillating: over the last 50 epochs the loss went up, in total, by more than 10% of its final value;
6. slow: it is still falling: over the last 50 epochs it dropped by more than 10%;
7. stalled: it settled, but above 2x that best.

"Final loss" is the median of the last 10 epochs' losses, so that one late spike does not decide.
"""
from __future__ import annotations

import warnings

import numpy as np

RULES = __doc__.split("Rules, checked in this order for each run:")[1].strip()   # chapter 4 prints them

MODES = ("converged", "slow", "stalled", "oscillating", "plateau", "collapsed", "diverged")
SHORT = {"converged": "ok", "slow": "slow", "stalled": "stall", "oscillating": "osc", "plateau": "plat",
         "collapsed": "coll", "diverged": "div"}
EXPLODED = 10.0        # x the best constant's loss
PLATEAU = 0.9          # x the best constant's loss
GOOD = 2.0             # x the activation's best final loss
MOVES = 0.1            # of the final loss, over the last 50 epochs: rises (oscillating), net drop (slow)


def final_loss(loss: np.ndarray) -> np.ndarray:
    """Median of the last 10 epochs' losses (NaN where the run diverged)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(loss[..., -10:], axis=-1)


def classify(loss: np.ndarray, diverged_epoch: np.ndarray, frozen: np.ndarray, constant: float,
             best: np.ndarray | float) -> np.ndarray:
    """Mode index (into MODES) per run. loss [..., epoch]; diverged_epoch, frozen (some layer has
    every unit saturated at the end) [...]; best: broadcastable to [...]."""
    final = final_loss(loss)
    tail = loss[..., -50:]
    with np.errstate(invalid="ignore", divide="ignore"):
        rises = np.clip(np.diff(tail, axis=-1), 0, None).sum(-1) / final
        drop = (tail[..., 0] - tail[..., -1]) / final
    mode = np.full(final.shape, MODES.index("stalled"))
    mode[drop > MOVES] = MODES.index("slow")
    mode[rises > MOVES] = MODES.index("oscillating")
    mode[final <= GOOD * np.asarray(best)] = MODES.index("converged")
    flat = final >= PLATEAU * constant
    mode[flat] = MODES.index("plateau")
    mode[flat & frozen] = MODES.index("collapsed")
    mode[exploded(final, diverged_epoch, constant)] = MODES.index("diverged")
    return mode


def exploded(final: np.ndarray, diverged_epoch: np.ndarray, constant: float) -> np.ndarray:
    """Rule 1: non-finite at some epoch, or ended above 10x the best constant's loss."""
    with np.errstate(invalid="ignore"):
        return (np.asarray(diverged_epoch) >= 0) | ~np.isfinite(final) | (final > EXPLODED * constant)


def frozen_layers(res) -> np.ndarray:
    """[...]: whether some hidden layer of the run has every unit saturated at the end."""
    sat = res["unit_states"][..., -1, :, res.coords["unit_state"].index("saturated")]   # [..., layer]
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(sat, nan=0.0).max(-1) >= 1.0


def diverged(res) -> np.ndarray:
    """Rule 1 for every run of a results file (one definition of "diverged" for the whole book)."""
    return exploded(final_loss(res["loss"]), res["diverged_epoch"], res.meta["config"]["landmarks"]["constant"])


def finite(values: np.ndarray, res) -> np.ndarray:
    """values per run with the diverged runs (rule 1) set to NaN, for helpers.analysis.stats to count."""
    out = np.array(values, dtype=float, copy=True)
    out[np.broadcast_to(diverged(res), out.shape)] = np.nan
    return out


def best_per_activation(loss: np.ndarray, axes: tuple[int, ...], axis_seed: int) -> np.ndarray:
    """The lowest (over the given axes: learning rates, depths) median-over-seeds final loss, kept
    broadcastable: the reference a run of that activation must come within 2x of to count as converged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(final_loss(loss), axis=axis_seed, keepdims=True)
        return np.nanmin(med, axis=axes, keepdims=True) if axes else med


def modes_of(res, over: tuple[str, ...] = ("lr", "depth")) -> np.ndarray:
    """Modes of every run of a grid result with dims (..., activation, [lr,] seed, ...); "converged" is judged
    against the activation's best over the dims `over` that the result has (chapter 9: init cases, layer types)."""
    dims = res.dims["loss"]
    best = best_per_activation(res["loss"], tuple(dims.index(d) for d in over if d in dims), dims.index("seed"))
    return classify(res["loss"], res["diverged_epoch"], frozen_layers(res),
                    res.meta["config"]["landmarks"]["constant"], best)


def majority(modes: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """The most common mode along `axis` (seeds) and how many runs had it (ties: the worse mode)."""
    counts = np.stack([(modes == i).sum(axis) for i in range(len(MODES))], -1)
    best = len(MODES) - 1 - np.argmax(counts[..., ::-1], -1)
    return best, np.take_along_axis(counts, best[..., None], -1)[..., 0]


def examples(res, prefer: dict[str, str | None]) -> dict[str, tuple[str, float, int]]:
    """One representative run per mode of a (activation, lr, seed) grid: the preferred activation's
    run at the smallest learning rate if it has one, else the first run anywhere with that mode.
    Modes no run ended in are left out."""
    modes = modes_of(res)
    out = {}
    for mode, name in prefer.items():
        hits = np.argwhere(modes == MODES.index(mode))                 # rows: (activation, lr, seed)
        if not len(hits):
            continue
        if name is not None and (hits[:, 0] == res.index("activation", name)).any():
            hits = hits[hits[:, 0] == res.index("activation", name)]
        a, l, s = hits[np.lexsort((hits[:, 2], hits[:, 1]))][0]
        out[mode] = (res.coords["activation"][a], res.coords["lr"][l], int(s))
    return out


def converged_lrs(res) -> dict[str, np.ndarray]:
    """Per activation of an (activation, lr, seed) grid, the learning rates at which most seeds converged."""
    maj, _ = majority(modes_of(res))
    lrs = np.array(res.coords["lr"])
    return {name: lrs[maj[a] == MODES.index("converged")] for a, name in enumerate(res.coords["activation"])}


def mode_table(res) -> tuple[list[str], list[list[str]]]:
    """Header and rows (activation x learning rate) of the majority mode and its count over seeds,
    e.g. "ok 9/10", for helpers.findings.tables."""
    maj, cnt = majority(modes_of(res))
    seeds = len(res.coords["seed"])
    rows = [[name] + [f"{SHORT[MODES[maj[a, i]]]} {cnt[a, i]}/{seeds}" for i in range(len(res.coords["lr"]))]
            for a, name in enumerate(res.coords["activation"])]
    return ["lr"] + [f"{lr:g}" for lr in res.coords["lr"]], rows
