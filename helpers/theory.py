"""Closed forms and mean-field predictions, computed numerically (no guessed constants).

Mean field (Poole et al. 2016; Schoenholz et al. 2017): over random weights, a hidden layer's
pre-activation is approximately N(0, q_l) with

    q_{l+1} = sigma_w^2 E[phi(h)^2] + sigma_b^2,   h ~ N(0, q_l),

and backpropagation multiplies the squared gradient norm per layer by

    chi_l = sigma_w^2 E[phi'(h)^2],   so   ||dL/dh_l|| / ||dL/dh_{l+1}|| ~ g_l = sqrt(chi_l).

sigma_w^2 = fan_in Var(W) and sigma_b^2 = Var(b) of the init actually used. Layer 1 sees the
input x itself: its pre-activation W_1 x + b_1 is not Gaussian, so its moments are averaged
exactly over the input grid and the initial weight distribution instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from . import activations
from .models import check_init

# A dense grid for Gaussian expectations: exact enough for kinked activations (ReLU), unlike
# low-order Gauss-Hermite quadrature.
_Z = np.linspace(-12.0, 12.0, 48_001)
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
    return (2.0 / (fan_in + fan_out) if init == "xavier" else 2.0 / fan_in), 0.0


def sigma_w2(init: str, width: int = 64) -> float:
    """sigma_w^2 = fan_in Var(W) of a hidden width x width layer."""
    return width * weight_variance(init, width, width)[0]


@dataclass(frozen=True)
class MeanField:
    """Per hidden layer l = 1..L: q_l, E[phi(h_l)^2] and the backward gain g_l."""

    q: np.ndarray        # [L] pre-activation variance
    a2: np.ndarray       # [L] E[phi(h_l)^2], the mean squared activation
    gain: np.ndarray     # [L] g_l = sqrt(sigma_w^2 E[phi'(h_l)^2]), sigma_w^2 of layer l+1

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
    training inputs)."""
    act = activations.get(activation)
    x = np.linspace(-math.pi, math.pi, 200) if x is None else np.asarray(x, dtype=float)
    vw1, vb1 = weight_variance(init, 1, width)
    vw, vb = weight_variance(init, width, width)
    vw1, vw = vw1 * weight_scale ** 2, vw * weight_scale ** 2
    s2 = width * vw
    # layer 1: h = w x + b with w, b from the init distribution and x from the input set, exactly
    u = (np.arange(samples) + 0.5) / samples
    if init == "torch_default":  # w, b ~ U(+-sqrt(3 v)): a grid over the square
        w = (2 * u - 1) * math.sqrt(3 * vw1)
        b = (2 * u - 1) * math.sqrt(3 * vb1)
        h1 = (w[:, None, None] * x[None, None, :] + b[None, :, None]).ravel()
    else:  # w ~ N(0, vw1), b = 0: normal quantiles
        from statistics import NormalDist
        w = np.array([NormalDist(0, math.sqrt(vw1)).inv_cdf(p) for p in u])
        h1 = (w[:, None] * x[None, :]).ravel()
    h1 = torch.from_numpy(h1)
    qs, a2s, gains = [float((h1 ** 2).mean())], [float((act.fn(h1) ** 2).mean())], []
    gains.append(math.sqrt(s2 * float((act.derivative(h1) ** 2).mean())))
    for _ in range(depth - 1):
        q = s2 * a2s[-1] + vb
        qs.append(q)
        a2s.append(gauss_mean(lambda h: act.fn(h) ** 2, q))
        gains.append(math.sqrt(s2 * gauss_mean(lambda h: act.derivative(h) ** 2, q)))
    return MeanField(np.array(qs), np.array(a2s), np.array(gains))


def critical_sigma_w2(activation: str, q: float = 1.0) -> float:
    """The sigma_w^2 at which chi = sigma_w^2 E[phi'(h)^2] = 1 for h ~ N(0, q) (zero bias)."""
    return 1.0 / gauss_mean(lambda h: activations.get(activation).derivative(h) ** 2, q)


def gain_table(names: list[str], depth: int = 10, width: int = 64,
               inits: tuple[str, ...] = ("torch_default", "kaiming")) -> tuple[list[str], list[list[str]]]:
    """Header and rows: per activation and init, the deep-layer q_L, E[phi'(h_L)^2], gain g_L and the
    predicted layer-1 / layer-L ratio of ||dL/dh_l|| (for report.text_table)."""
    header = ["activation"]
    for init in inits:
        header += [f"{init}: q_L", "E[phi'^2]", "gain g", f"ratio 1/{depth}"]
    rows = []
    for name in names:
        row = [name]
        for init in inits:
            mf = mean_field(name, depth, width, init)
            d2 = mf.gain[-1] ** 2 / sigma_w2(init, width)
            row += [f"{mf.q[-1]:.3g}", f"{d2:.3f}", f"{mf.gain[-1]:.3f}", f"{mf.grad_h_ratio():.1e}"]
        rows.append(row)
    return header, rows


# ---- dead units --------------------------------------------------------------------------------

def p_dead_first_layer(x_max: float = math.pi) -> float:
    """P(a first-layer ReLU unit is dead on [-x_max, x_max]) under PyTorch's default init.

    With fan_in 1, w and b are U(-1, 1); h = w x + b is <= 0 on the whole interval iff
    b <= -x_max |w|, a region of area 1/x_max (x_max >= 1) of the square's 4: P = 1/(4 x_max)."""
    return 1 / (4 * x_max) if x_max >= 1 else (2 - x_max) / 4


def p_dead_first_layer_mc(samples: int = 1_000_000, x_max: float = math.pi, seed: int = 0) -> float:
    """Monte Carlo check of p_dead_first_layer: draw (w, b) ~ U(-1, 1)^2 and test h = w x + b <= 0
    at both ends of the interval (h is linear in x, so its maximum sits at an end)."""
    rng = np.random.default_rng(seed)
    w, b = rng.uniform(-1, 1, samples), rng.uniform(-1, 1, samples)
    return float(((w * x_max + b <= 0) & (-w * x_max + b <= 0)).mean())


def relu_kernels(depth: int = 10, width: int = 64, init: str = "torch_default",
                 x: np.ndarray | None = None) -> list[np.ndarray]:
    """Infinite-width covariance K_l(x, x') = E[h_l(x) h_l(x')] of a ReLU network's pre-activations
    over random weights, layers 1..depth, on the inputs x (the arc-cosine kernel recursion):
    K_{l+1} = sigma_w^2 E[relu(u) relu(v)] + sigma_b^2, (u, v) ~ N(0, K_l restricted to x, x')."""
    x = np.linspace(-math.pi, math.pi, 101) if x is None else np.asarray(x, dtype=float)
    vw1, vb1 = weight_variance(init, 1, width)
    vw, vb = weight_variance(init, width, width)
    K = vw1 * np.outer(x, x) + vb1
    out = [K]
    for _ in range(depth - 1):
        d = np.sqrt(np.clip(np.diag(K), 1e-300, None))
        cos = np.clip(K / np.outer(d, d), -1.0, 1.0)
        theta = np.arccos(cos)
        K = width * vw * np.outer(d, d) * (np.sin(theta) + (math.pi - theta) * cos) / (2 * math.pi) + vb
        out.append(K)
    return out


def p_nowhere_positive(K: np.ndarray, samples: int = 20_000, seed: int = 0) -> float:
    """P(h(x) <= 0 at every x) for a Gaussian process h ~ N(0, K), by sampling it (seeded).

    K is often nearly singular; the tolerance keeps rounding noise (relative 1e-6) at points where
    h is exactly 0 (x = 0 in a zero-bias network) from counting as positive."""
    vals, vecs = np.linalg.eigh(K)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = np.random.default_rng(seed).standard_normal((K.shape[0], samples))
    tol = 1e-6 * math.sqrt(max(float(np.diag(K).max()), 1e-300))
    return float(((root @ z) <= tol).all(axis=0).mean())


def relu_dead_profile(depth: int = 10, width: int = 64, init: str = "torch_default",
                      x_max: float = math.pi) -> np.ndarray:
    """Predicted fraction of dead ReLU units per layer at initialisation (layers 1..depth).

    A unit of layer l is dead iff h_l(x) <= 0 on the whole input interval. At infinite width, h_l is
    a Gaussian process over x with the kernel of relu_kernels; its probability of staying <= 0
    everywhere is sampled. Layer 1 (h = w x + b, not Gaussian) uses the exact result under the
    default init (p_dead_first_layer) and 0 for zero-bias inits (x takes both signs)."""
    x = np.linspace(-x_max, x_max, 101)
    first = p_dead_first_layer(x_max) if init == "torch_default" else 0.0
    return np.array([first] + [p_nowhere_positive(K) for K in relu_kernels(depth, width, init, x)[1:]])


def p_point_dead(width: int, depth: int) -> float:
    """P(a zero-bias ReLU network's representation of one input x != 0 is all zero after `depth`
    layers of `width` units), for weights from any symmetric continuous distribution.

    Given a non-zero, non-negative input, each unit's pre-activation is symmetric about 0, so all
    `width` units are off with probability 2^-width, independently from layer to layer; a zero
    representation stays zero. Hence 1 - (1 - 2^-width)^depth. A network that is born dead
    (constant on an interval around 0) has lost both x > 0 and x < 0, so this bounds that
    probability from above; both tend to 1 with depth (Lu et al. 2019)."""
    return -math.expm1(depth * math.log1p(-(2.0 ** -width)))  # accurate also when tiny
