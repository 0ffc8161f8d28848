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
