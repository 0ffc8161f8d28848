"""Gaussian expectations and where deep layers settle: the fixed point q*, chi_1 at it, the depth scale and the
edge of chaos (Poole et al. 2016, Schoenholz et al. 2017), computed numerically (no guessed constants).
helpers.theory re-exports these names; it runs the recursion layer by layer for the book's networks."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from ..core import activations

# A dense grid for Gaussian expectations: exact enough for kinked activations (ReLU), unlike
# low-order Gauss-Hermite quadrature.
_Z = np.linspace(-12.0, 12.0, 48_000)  # an even count: no node at 0, where ReLU's derivative jumps
_W = np.exp(-0.5 * _Z ** 2)
_W /= _W.sum()


def gauss_mean(f, q: float) -> float:
    """E[f(h)] for h ~ N(0, q)."""
    h = torch.from_numpy(math.sqrt(max(q, 0.0)) * _Z)
    return float((f(h).numpy() * _W).sum())


def variance_map(activation: str, sigma_w2: float, sigma_b2: float = 0.0):
    """q -> sigma_w^2 E[phi(h)^2] + sigma_b^2 for h ~ N(0, q): one layer of the forward recursion."""
    act = activations.get(activation)
    return lambda q: sigma_w2 * gauss_mean(lambda h: act.fn(h) ** 2, q) + sigma_b2


def _ratio(activation: str, sigma_w2: float, sigma_b2: float):
    """r(q) = map(q) / q on arrays of q: fixed points are where r = 1."""
    step = variance_map(activation, sigma_w2, sigma_b2)
    return lambda qs: np.array([step(q) / q for q in np.atleast_1d(qs)])


@lru_cache(maxsize=None)   # pure: the chapters and the summary ask for the same points again
def fixed_point(activation: str, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0) -> float:
    """q*, the variance that deep pre-activations settle at when the first layer's is q0: 0.0 when the
    signal dies out, inf when it grows without bound (e.g. ReLU above sigma_w^2 = 2).

    Not by iterating the map (near criticality it creeps, q ~ 1/l), but exactly: the fixed points are
    the roots of r(q) = map(q)/q - 1, and the iteration from q0 moves to the nearest root in the
    direction it starts in (down if r(q0) < 1, up if r(q0) > 1)."""
    r = _ratio(activation, sigma_w2, sigma_b2)
    here = float(r(q0)[0] - 1)
    if abs(here) < 1e-13:
        return q0
    down = here < 0
    grid = np.logspace(-10, 10, 161)
    grid = grid[grid < q0][::-1] if down else grid[grid > q0]    # walk away from q0 to the first sign change
    a, va = np.float64(q0), here
    for b in grid:
        vb = float(r(b)[0] - 1)
        if np.sign(vb) != np.sign(va):
            break
        a, va = b, vb
    else:
        return 0.0 if down else math.inf
    side = np.sign(va)
    for _ in range(100):                                    # bisection on log q
        m = math.sqrt(a * b)
        if np.sign(r(m)[0] - 1) == side:
            a = m
        else:
            b = m
        if max(a, b) / min(a, b) < 1 + 1e-13:
            break
    return math.sqrt(a * b)


def chi(activation: str, sigma_w2: float, q: float) -> float:
    """chi = sigma_w^2 E[phi'(h)^2], h ~ N(0, q): the factor by which one layer multiplies the squared
    backpropagated signal (q = 0 and inf: the limits of tiny and of huge pre-activations)."""
    act = activations.get(activation)
    q = 1e-12 if q == 0 else 1e8 if math.isinf(q) else q
    return sigma_w2 * gauss_mean(lambda h: act.derivative(h) ** 2, q)


@lru_cache(maxsize=None)
def chi_1(activation: str, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0) -> tuple[float, float]:
    """(q*, chi_1): chi at the fixed point reached from q0, the per-layer factor deep in the network."""
    q = fixed_point(activation, sigma_w2, sigma_b2, q0)
    return q, chi(activation, sigma_w2, q)


def depth_scale(chi1: float) -> float:
    """xi = -1 / log chi_1: deep gradients change by a factor e every xi layers (inf at criticality)."""
    return math.inf if chi1 == 1 else -1 / math.log(chi1)


@lru_cache(maxsize=None)
def critical_sigma_w2(activation: str, sigma_b2: float = 0.0, q0: float = 1.0) -> float:
    """The sigma_w^2 at which chi_1 = 1 at the fixed point reached from q0 (zero bias by default): the
    edge of chaos. Bisection on log sigma_w^2 (chi_1 grows with sigma_w^2 for every activation here).
    Closed forms: identity, tanh, ELU 1 (q* = 0, phi'(0) = 1); ReLU 2 (any q).

    NaN where no sigma_w^2 gives chi_1 = 1 from q0: for GELU and SiLU at zero bias the signal either
    dies out (q* = 0, chi_1 = sigma_w^2 phi'(0)^2 = sigma_w^2/4 < 1) or grows without bound
    (chi_1 = sigma_w^2 / 2 > 1), with a jump between the two (critical_jump finds where)."""
    act = activations.get(activation)
    if sigma_b2 == 0 and float(act.fn(torch.zeros(1, dtype=torch.float64))) == 0:
        # q* = 0 is a fixed point; on its branch chi_1 = sigma_w^2 chi(1, q -> 0), so it is critical at
        # exactly 1 / chi(1, 0), provided the signal from q0 still dies out just below that value
        s = 1 / chi(activation, 1.0, 0.0)
        if fixed_point(activation, s * (1 - 1e-6), 0.0, q0) == 0:
            return s
    lo, hi = critical_jump(activation, sigma_b2, q0)
    c_lo, c_hi = chi_1(activation, lo, sigma_b2, q0)[1], chi_1(activation, hi, sigma_b2, q0)[1]
    return math.sqrt(lo * hi) if c_hi - c_lo < 1e-6 else math.nan


def edge_sigma_w2(activation: str) -> float:
    """Each activation's edge of chaos at zero bias, from inputs of unit scale: critical_sigma_w2 where
    it exists, else (GELU, SiLU) the sigma_w^2 where the signal jumps from dying out to exploding."""
    c = critical_sigma_w2(activation)
    return c if math.isfinite(c) else math.sqrt(math.prod(critical_jump(activation)))


@lru_cache(maxsize=None)
def critical_jump(activation: str, sigma_b2: float = 0.0, q0: float = 1.0,
                  lo: float = 0.05, hi: float = 1e4) -> tuple[float, float]:
    """A tight bracket (lo, hi) of sigma_w^2 around where chi_1 (from q0) passes 1, continuously or not."""
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if chi_1(activation, mid, sigma_b2, q0)[1] < 1:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1 + 1e-9:
            break
    return lo, hi
