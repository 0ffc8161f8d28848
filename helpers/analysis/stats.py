"""Statistics over seeds, and every number the book prints, rounded to the precision its spread over
seeds supports: the one place these rules live (book/notation.md states them for readers).

- mean ± sd: the sd (sample standard deviation over seeds) keeps one significant digit and the mean
  is rounded to that digit: 0.0841, 0.0087 -> "0.084 ± 0.009"; 213, 46 -> "210 ± 50".
- A spread far below the printed precision (at most DIGITS significant digits) is an upper bound:
  "0.1902 (sd < 1e-4)", never "± 7e-09".
- Quantities that vary over orders of magnitude (gradient ratios) are geometric means with a spread
  factor: "2.5e-04 ×/÷ 1.3".
- Diverged runs (NaN: the caller masks them by helpers.analysis.failure's rules) are counted, never averaged:
  "0.0084 ± 0.0001 (1/5 diverged)", or "diverged (5/5)".
"""
from __future__ import annotations

import math
import warnings

import numpy as np

DIGITS = 4  # the most significant digits any mean is printed with


class Text(str):
    """A number as printed: a str whose repr is itself (glued into prose without quotes)."""

    def __repr__(self) -> str:
        return str(self)


def sig2(x: float) -> Text:
    """Two significant digits without an exponent where one is not needed: 180, 6.8, 0.17 (a factor in prose)."""
    return Text(f"{float(f'{x:.2g}'):g}")


def _e(x: float) -> str:
    """1e-04 -> '1e-4', 2.5e+03 -> '2.5e3': short scientific notation."""
    mant, exp = f"{x:.1e}".split("e") if x else ("0", "0")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def mean_sd(x, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample standard deviation over seeds (axis), ignoring diverged (NaN) runs."""
    x = np.asarray(x, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all diverged / one seed: NaN, not a warning
        return np.nanmean(x, axis=axis), np.nanstd(x, axis=axis, ddof=1)


def geo_mean(x, axis: int | None = None):
    """Geometric mean of the finite positive entries (diverged runs are NaN and left out): of all of them (a
    float), or along `axis` (an array; NaN where an axis has none)."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x) & (x > 0)
    if axis is None:
        return float(np.exp(np.log(x[ok]).mean())) if ok.any() else float("nan")
    with warnings.catch_warnings():      # an all-NaN slice is a NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.exp(np.nanmean(np.log(np.where(ok, x, np.nan)), axis))


def _places(mean: float, sd: float) -> int | None:
    """The decimal place (10^p) the mean is rounded to; None when the sd is below the printed precision."""
    top = math.floor(math.log10(abs(mean))) if mean else 0
    floor_place = top - DIGITS + 1
    if not sd or not math.isfinite(sd) or sd < 0.5 * 10.0 ** floor_place:
        return None
    sd1 = float(f"{sd:.1g}")
    return max(math.floor(math.log10(sd1)), floor_place)


def _fmt(value: float, place: int) -> str:
    """value rounded to 10^place, fixed-point for 1e-3 <= |value| < 1e4, else scientific."""
    v = round(value, -place)
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.{max(0, -place)}f}"
    sig = math.floor(math.log10(abs(v))) - place
    mant, exp = f"{v:.{max(sig, 0)}e}".split("e")
    return f"{mant}e{int(exp)}"


def _diverged(x: np.ndarray, missing: str = "diverged") -> tuple[np.ndarray, str]:
    bad = ~np.isfinite(x)
    return x[~bad], (f" ({bad.sum()}/{x.size} {missing})" if bad.any() else "")


def at_spread(values, missing: str = "diverged") -> Text:
    """'mean ± sd' over seeds at the precision the spread supports (module docstring). NaN entries are
    counted as `missing` (one word: "diverged", or "never" for a level a run never reached)."""
    x = np.asarray(values, dtype=float).ravel()
    ok, note = _diverged(x, missing)
    if not ok.size:
        return Text(f"{missing} ({x.size}/{x.size})")
    mean = float(ok.mean())
    if ok.size == 1:
        return Text(f"{mean:.3g} (1 seed){note}")
    if (ok == 0).all():
        return Text(f"0 (every seed){note}")
    sd = float(ok.std(ddof=1))
    place = _places(mean, sd)
    if place is None:
        top = math.floor(math.log10(abs(mean)))
        return Text(f"{_fmt(mean, top - DIGITS + 1)} (sd < {_e(10.0 ** (top - DIGITS + 1))}){note}")
    m = _fmt(mean, place)
    sd1 = float(f"{sd:.1g}")
    sd_text = f"{sd1:.{max(0, -place)}f}" if "e" not in m and sd1 >= 1e-4 else _e(sd1)
    return Text(f"{m} ± {sd_text}{note}")


def epochs_to_reach(values) -> Text:
    """Epochs to reach a level, rounded to their spread over seeds; a seed that never reached it counts as "never"."""
    return at_spread(values, missing="never")


def percent(values) -> Text:
    """Fractions (accuracies, shares) as percentages, rounded to their spread over seeds (at_spread)."""
    return at_spread(100 * np.asarray(values, dtype=float))


def rounded(values) -> float | int:
    """The mean over seeds as at_spread prints it, as a number (for glue); NaN if every run diverged."""
    text = at_spread(values).split(" ")[0]
    if text == "diverged":
        return float("nan")
    return int(text) if text.lstrip("-").isdigit() else float(text)


def geo_spread(values, floor: float | None = None) -> Text:
    """Geometric mean ×/÷ geometric standard deviation over seeds, for quantities spanning decades:
    two significant digits if the seeds agree within 30%, else one. With `floor`, values that all lie
    below it (where only rounding noise is left, which differs between CPUs) read '< floor'."""
    x = np.asarray(values, dtype=float).ravel()
    ok, note = _diverged(x)
    ok = ok[ok > 0]
    if not ok.size:
        return Text(f"diverged ({x.size}/{x.size})" if note else "0")
    if floor is not None and (ok < floor).all():
        return Text(f"< {floor:.0e}{note}")
    logs = np.log(ok)
    g, f = float(np.exp(logs.mean())), float(np.exp(logs.std(ddof=1))) if ok.size > 1 else 1.0
    digits = 2 if f < 1.3 else 1
    mant, exp = f"{g:.{digits - 1}e}".split("e")
    factor = f"{f:.2g}" if f < 100 else _e(f)
    return Text(f"{mant}e{int(exp)} ×/÷ {factor}{note}")


def geo_rounded(values, floor: float | None = None) -> float | str:
    """The geometric mean as geo_spread prints it, as a number ('< floor' stays a phrase)."""
    text = geo_spread(values, floor)
    if text.startswith("<"):
        return text.split(" (")[0]
    head = text.split(" ")[0]
    return float("nan") if head == "diverged" else float(head)


def count(mask) -> Text:
    """'k/n': how many seeds (runs) satisfy a condition."""
    m = np.asarray(mask, dtype=bool).ravel()
    return Text(f"{int(m.sum())}/{m.size}")


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
