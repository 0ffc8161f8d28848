"""How a training run ended, decided by explicit rules on its logged curves (chapter 4).

Rules, checked in this order for each run:

1. diverged: the loss turned non-finite (the epoch is recorded), or the run ended with a loss more
   than 10 times the best constant predictor's (exploded without overflowing);
2. dead layer: some hidden layer has every unit off (on for no input) at the end: the output no
   longer depends on the input below that layer (units died, or saturated);
3. plateau: the final loss is no better than 0.9 x the best constant's;
4. converged: the final loss is within 2x the best any learning rate reached for this activation
   (median over seeds) -- a good fit by that activation's own standard;
5. oscillating: the loss still moves by more than 10% (std / mean over the last 50 epochs);
6. stalled: it settled, but above 2x that best.

"Final loss" is the median of the last 10 epochs' losses, so that one late spike does not decide.
"""
from __future__ import annotations

import warnings

import numpy as np

MODES = ("converged", "stalled", "oscillating", "plateau", "dead layer", "diverged")
SHORT = {"converged": "ok", "stalled": "stall", "oscillating": "osc", "plateau": "plat",
         "dead layer": "dead", "diverged": "div"}
EXPLODED = 10.0        # x the best constant's loss
PLATEAU = 0.9          # x the best constant's loss
GOOD = 2.0             # x the activation's best final loss
WIGGLE = 0.1           # std / mean of the last 50 epochs


def final_loss(loss: np.ndarray) -> np.ndarray:
    """Median of the last 10 epochs' losses (NaN where the run diverged)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(loss[..., -10:], axis=-1) if loss.shape[-1] else loss[..., 0]


def classify(loss: np.ndarray, diverged_epoch: np.ndarray, layer_off_max: np.ndarray, constant: float,
             best: np.ndarray | float) -> np.ndarray:
    """Mode index (into MODES) per run. loss [..., epoch]; diverged_epoch, layer_off_max (the largest
    fraction of units off in any hidden layer, at the end) [...]; best: broadcastable to [...]."""
    final = final_loss(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tail = loss[..., -50:]
        wiggle = np.nanstd(tail, -1) / np.nanmean(tail, -1)
    mode = np.full(final.shape, MODES.index("stalled"))
    settled = wiggle <= WIGGLE
    mode[~settled] = MODES.index("oscillating")
    mode[final <= GOOD * np.asarray(best)] = MODES.index("converged")
    mode[final >= PLATEAU * constant] = MODES.index("plateau")
    mode[layer_off_max >= 1.0] = MODES.index("dead layer")
    mode[(diverged_epoch >= 0) | ~np.isfinite(final) | (final > EXPLODED * constant)] = MODES.index("diverged")
    return mode


def best_per_activation(loss: np.ndarray, axis_lr: int, axis_seed: int) -> np.ndarray:
    """The lowest (over learning rates) median-over-seeds final loss, kept broadcastable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(final_loss(loss), axis=axis_seed, keepdims=True)
        return np.nanmin(med, axis=axis_lr, keepdims=True)


def modes_of(res) -> np.ndarray:
    """Modes of every run of a grid result with dims (..., activation, lr, seed, ...)."""
    dims = res.dims["loss"]
    off = res["unit_states"][..., -1, :, res.coords["unit_state"].index("off")].max(-1) \
        if "unit_states" in res.arrays else res["layer_off_max"][..., -1]
    best = best_per_activation(res["loss"], dims.index("lr"), dims.index("seed"))
    return classify(res["loss"], res["diverged_epoch"], off, res.meta["config"]["landmarks"]["constant"], best)


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
    e.g. "ok 3/3", for helpers.report.text_table."""
    maj, cnt = majority(modes_of(res))
    seeds = len(res.coords["seed"])
    rows = [[name] + [f"{SHORT[MODES[maj[a, i]]]} {cnt[a, i]}/{seeds}" for i in range(len(res.coords["lr"]))]
            for a, name in enumerate(res.coords["activation"])]
    return ["lr"] + [f"{lr:g}" for lr in res.coords["lr"]], rows
