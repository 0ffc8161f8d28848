"""Statistics over seeds, and numbers rounded to the precision the seeds' spread supports."""
from __future__ import annotations

import math
import warnings

import numpy as np


def mean_std(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over seeds, ignoring diverged (NaN) models."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every seed diverged: NaN, not a warning
        return np.nanmean(x, axis=axis), np.nanstd(x, axis=axis)


def geo_mean(x: np.ndarray) -> float:
    """Geometric mean of the finite positive entries (diverged runs are NaN and left out)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    return float(np.exp(np.log(x).mean())) if x.size else float("nan")


def _round(mean: float, std: float) -> str:
    """mean as text, kept to one place coarser than the std's leading digit."""
    if std == 0 and float(mean).is_integer():
        return f"{mean:.0f}"
    top = math.floor(math.log10(abs(mean)))
    last = min(math.floor(math.log10(max(std, abs(mean) * 1e-4))) + 1, top)  # the last place kept
    if not 1e-3 <= abs(mean) < 1e4:
        return f"{mean:.{max(top - last, 0)}e}"
    if last > 0:  # e.g. 231 +- 50 -> 200
        return f"{round(mean, -last):.0f}"
    return f"{mean:.{-last}f}"


def _std(std: float) -> str:
    return f"{float(f'{std:.1g}'):g}"


def rounded(values) -> float | int:
    """Mean over seeds, rounded to the precision the seeds' spread supports (see at_spread)."""
    mean, std = (float(v) for v in mean_std(np.asarray(values, dtype=float)))
    if not math.isfinite(mean) or mean == 0:
        return mean
    text = _round(mean, std)
    return int(text) if text.lstrip("-").isdigit() else float(text)


def at_spread(values) -> str:
    """'mean +- std' over seeds, the mean rounded one digit coarser than the std's leading digit:
    the precision the seeds' spread supports (nbval checks these strings)."""
    mean, std = (float(v) for v in mean_std(np.asarray(values, dtype=float)))
    if not math.isfinite(mean):
        return "diverged"
    if mean == 0:
        return f"0 +- {_std(std)}"
    return f"{_round(mean, std)} +- {_std(std)}"


def first_epoch_below(loss: np.ndarray, level: float) -> np.ndarray:
    """Per run (last axis = epochs 1..E): the first epoch whose loss is below level; -1 if never."""
    below = np.asarray(loss) < level
    return np.where(below.any(-1), below.argmax(-1) + 1, -1)


def cosine_components(y: np.ndarray, x: np.ndarray, ks: tuple[int, ...], kmax: int = 8) -> np.ndarray:
    """Amplitudes of cos(k x), k in ks, in functions sampled as y [..., x] on [-pi, pi]: least squares
    on the basis 1, x, sin(jx), cos(jx) for j = 1..kmax (the constant and the line absorb a
    function's overall trend, which is not periodic). Returns [..., len(ks)]."""
    x = np.asarray(x, dtype=float)
    cols = [np.ones_like(x), x] + [f(j * x) for j in range(1, kmax + 1) for f in (np.sin, np.cos)]
    basis = np.stack(cols, 1)                                           # [N, 2 + 2 kmax]
    y = np.asarray(y, dtype=float)
    coef = np.linalg.lstsq(basis, y.reshape(-1, len(x)).T, rcond=None)[0].T
    return coef[:, [3 + 2 * (k - 1) for k in ks]].reshape(y.shape[:-1] + (len(ks),))
