"""Closed forms and mean-field predictions, computed numerically (no guessed constants).

Mean field (Poole et al. 2016; Schoenholz et al. 2017): over random weights, a hidden layer's
pre-activation is approximately N(0, q_l) with

    q_{l+1} = sigma_w^2 E[phi(h)^2] + sigma_b^2,   h ~ N(0, q_l),

and backpropagation multiplies the squared gradient norm per layer by

    chi_l = sigma_w^2 E[phi'(h)^2],   so   ||dL/dh_l|| / ||dL/dh_{l+1}|| ~ g_l = sqrt(chi_l).

sigma_w^2 = fan_in Var(W) and sigma_b^2 = Var(b) of the init actually used. Layer 1 sees the
input x itself: its pre-activation W_1 x + b_1 is not Gaussian, so its moments are averaged
exactly over the input grid and the initial weight distribution instead. With many inputs (the 64
pixels of a digit), h_1 = sum_i W_1i x_i + b_1 is, for one image x, a sum of 64 independent terms:
close to N(0, Var(W_1) |x|^2 + Var(b_1)); layer 1's moments average that Gaussian over the images.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from . import activations
from .models import check_init

# A dense grid for Gaussian expectations: exact enough for kinked activations (ReLU), unlike
# low-order Gauss-Hermite quadrature.
_Z = np.linspace(-12.0, 12.0, 48_000)  # an even count: no node at 0, where ReLU's derivative jumps
_W = np.exp(-0.5 * _Z ** 2)
_W /= _W.sum()


def gauss_mean(f, q: float) -> float:
    """E[f(h)] for h ~ N(0, q)."""
    h = torch.from_numpy(math.sqrt(max(q, 0.0)) * _Z)
    return float((f(h).numpy() * _W).sum())


def weight_variance(init: str, fan_in: int, fan_out: int) -> tuple[float, float]:
    """(Var(W), Var(b)) of one layer under an init scheme (helpers.models)."""
    check_init(init)
    if init == "torch_default":
        v = 1.0 / (3 * fan_in)  # U(+-1/sqrt(fan_in)) for W and b
        return v, v
    if init == "xavier":
        return 2.0 / (fan_in + fan_out), 0.0
    return (2.0 / fan_in if init == "kaiming" else 1.0 / fan_in), 0.0   # lecun; orthogonal's second moment


def sigma_w2(init: str, width: int = 64) -> float:
    """sigma_w^2 = fan_in Var(W) of a hidden width x width layer."""
    return width * weight_variance(init, width, width)[0]


@dataclass(frozen=True)
class MeanField:
    """Per hidden layer l = 1..L: q_l, E[phi(h_l)^2] and the backward gain g_l."""

    q: np.ndarray        # [L] pre-activation variance
    a2: np.ndarray       # [L] E[phi(h_l)^2], the mean squared activation
    gain: np.ndarray     # [L] g_l = sqrt(sigma_w^2 E[phi'(h_l)^2]), sigma_w^2 of layer l+1

    def truncated(self, depth: int) -> "MeanField":
        """The same recursion for a network of the first `depth` layers."""
        return MeanField(self.q[:depth], self.a2[:depth], self.gain[:depth])

    def grad_h_ratio(self) -> float:
        """Predicted ||dL/dh_1|| / ||dL/dh_L|| = g_1 ... g_{L-1}."""
        return float(np.prod(self.gain[:-1]))

    def grad_h_profile(self) -> np.ndarray:
        """Predicted ||dL/dh_l|| / ||dL/dh_L|| for l = 1..L."""
        return np.append(np.cumprod(self.gain[:-1][::-1])[::-1], 1.0)


def mean_field(activation: str, depth: int = 10, width: int = 64, init: str = "torch_default",
               weight_scale: float = 1.0, x: np.ndarray | None = None, samples: int = 400) -> MeanField:
    """Run the mean-field recursion for the seed network. weight_scale multiplies every weight's
    standard deviation (sigma_w^2 scales by its square); x is the input set (default: the 200
    training inputs; [N, d_in] for d_in > 1 inputs per example)."""
    act = activations.get(activation)
    x = np.linspace(-math.pi, math.pi, 200) if x is None else np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[1] > 1:
        return _mean_field_images(act, depth, width, init, weight_scale, x)
    vw, vb = weight_variance(init, width, width)
    s2 = width * vw * weight_scale ** 2
    h1 = _first_layer(x.ravel(), width, init, weight_scale, samples)
    qs, a2s, gains = [float((h1 ** 2).mean())], [float((act.fn(h1) ** 2).mean())], []
    gains.append(math.sqrt(s2 * float((act.derivative(h1) ** 2).mean())))
    for _ in range(depth - 1):
        q = s2 * a2s[-1] + vb
        qs.append(q)
        a2s.append(gauss_mean(lambda h: act.fn(h) ** 2, q))
        gains.append(math.sqrt(s2 * gauss_mean(lambda h: act.derivative(h) ** 2, q)))
    return MeanField(np.array(qs), np.array(a2s), np.array(gains))


def _first_layer(x: np.ndarray, width: int, init: str, weight_scale: float = 1.0, samples: int = 400) -> torch.Tensor:
    """Layer 1's pre-activations h = w x + b over the init distribution of (w, b) and the inputs x, exactly
    (quadrature over the distribution): the values every mean-field recursion here starts from."""
    vw1, vb1 = weight_variance(init, 1, width)
    vw1 = vw1 * weight_scale ** 2
    u = (np.arange(samples) + 0.5) / samples
    if init == "torch_default":  # w, b ~ U(+-sqrt(3 v)): a grid over the square
        w = (2 * u - 1) * math.sqrt(3 * vw1)
        b = (2 * u - 1) * math.sqrt(3 * vb1)
        return torch.from_numpy((w[:, None, None] * x[None, None, :] + b[None, :, None]).ravel())
    from statistics import NormalDist  # w ~ N(0, vw1), b = 0: normal quantiles
    w = np.array([NormalDist(0, math.sqrt(vw1)).inv_cdf(p) for p in u])
    return torch.from_numpy((w[:, None] * x[None, :]).ravel())


def _mean_field_images(act, depth: int, width: int, init: str, weight_scale: float, x: np.ndarray) -> MeanField:
    """mean_field for inputs x [N, d_in]: layer 1 per image ~ N(0, Var(W_1) |x|^2 + Var(b_1)), averaged over images."""
    vw1, vb1 = weight_variance(init, x.shape[1], width)
    vw, vb = weight_variance(init, width, width)
    s2 = width * vw * weight_scale ** 2
    q1 = vw1 * weight_scale ** 2 * (x ** 2).sum(1) + vb1            # [N]: one Gaussian per image

    def per_image(f) -> float:  # E over images of E[f(h)], h ~ N(0, q1(image)): 100 images per evaluation
        z = torch.from_numpy(_Z)
        return float(sum((f(torch.from_numpy(np.sqrt(q))[:, None] * z).numpy() @ _W).sum()
                         for q in np.array_split(q1, max(1, len(q1) // 100))) / len(q1))
    qs, a2s = [float(q1.mean())], [per_image(lambda h: act.fn(h) ** 2)]
    gains = [math.sqrt(s2 * per_image(lambda h: act.derivative(h) ** 2))]
    for _ in range(depth - 1):
        qs.append(s2 * a2s[-1] + vb)
        a2s.append(gauss_mean(lambda h: act.fn(h) ** 2, qs[-1]))
        gains.append(math.sqrt(s2 * gauss_mean(lambda h: act.derivative(h) ** 2, qs[-1])))
    return MeanField(np.array(qs), np.array(a2s), np.array(gains))


def residual_profile(activation: str, depth: int, width: int = 64, init: str = "torch_default") -> np.ndarray:
    """Mean-field ||dL/du_l|| / ||dL/du_L||, l = 1..L, at init, for the residual MLP of helpers.blocks
    (a_1 = phi(u_1), a_l = a_{l-1} + phi(u_l) with u_l = W_l a_{l-1} + b_l for l >= 2).

    Forward: u_l ~ N(0, sigma_w^2 v_{l-1} + sigma_b^2), where the stream's mean m and second moment v grow by
    m_l = m_{l-1} + E[phi(u_l)], v_l = v_{l-1} + 2 m_{l-1} E[phi(u_l)] + E[phi(u_l)^2] (u_l is independent of
    the unit's own a_{l-1} to leading order in 1/width). Backward: each block adds a path to the identity's,
    ||dL/da_{l-1}||^2 = (1 + chi_l) ||dL/da_l||^2 with chi_l = sigma_w^2 E[phi'(u_l)^2] > 0: the gradient can
    only grow toward the input, never vanish; and ||dL/du_l||^2 = E[phi'(u_l)^2] ||dL/da_l||^2."""
    return np.array(_residual_profile(activation, depth, width, init))


@lru_cache(maxsize=None)   # a chapter's table and its prose ask for the same profile
def _residual_profile(activation: str, depth: int, width: int, init: str) -> tuple[float, ...]:
    act = activations.get(activation)
    vw, vb = weight_variance(init, width, width)
    s2 = width * vw
    h1 = _first_layer(np.linspace(-math.pi, math.pi, 200), width, init)
    a1 = act.fn(h1)
    m, v = float(a1.mean()), float((a1 ** 2).mean())
    slope2, chis = [float((act.derivative(h1) ** 2).mean())], [0.0]
    for _ in range(depth - 1):
        q = s2 * v + vb
        mu = gauss_mean(act.fn, q)
        m, v = m + mu, v + 2 * m * mu + gauss_mean(lambda h: act.fn(h) ** 2, q)
        slope2.append(gauss_mean(lambda h: act.derivative(h) ** 2, q))
        chis.append(s2 * slope2[-1])
    # ||dL/da_l||^2 relative to layer L: the product of (1 + chi_k) over the blocks above l
    above = np.concatenate([np.cumprod((1 + np.array(chis[1:]))[::-1])[::-1], [1.0]])
    return tuple(np.sqrt(np.array(slope2) / slope2[-1] * above))


# ---- the fixed point and criticality (Poole et al. 2016, Schoenholz et al. 2017) -------------------

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
