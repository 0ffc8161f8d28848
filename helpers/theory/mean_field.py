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
close to N(0, Var(W_1) |x|^2 + Var(b_1)). Each input (or image) runs its own recursion; the batch combines them
as the measured Frobenius norm does (MeanField). The fixed point and the edge of chaos are in
helpers.theory.criticality.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from ..core import activations
from ..core.models import check_init
from .criticality import (
    _W,
    _Z,
    gauss_mean,
)


def weight_variance(init: str, fan_in: int, fan_out: int) -> tuple[float, float]:
    """(Var(W), Var(b)) of one layer under an init scheme (helpers.core.models)."""
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
    """One recursion per input n (Poole et al. 2016 propagate each input's own variance), per hidden layer
    l = 1..L. chi[n, l] multiplies input n's squared backpropagated norm from layer l+1 to layer l; out[n, l] is
    the expected squared loss gradient at the output if layer l were the last, which weighs input n's share of
    ||dL/dh_L||^2 as the measured Frobenius norm over the batch does."""

    q: np.ndarray        # [N, L] pre-activation variance of each input
    a2: np.ndarray       # [N, L] E[phi(h_l)^2], the mean squared activation
    chi: np.ndarray      # [N, L] sigma_w^2 E[phi'(h_l)^2], sigma_w^2 of layer l+1
    out: np.ndarray      # [N, L] E[(dL/dz)^2] per input with the readout on top of layer l

    def truncated(self, depth: int) -> "MeanField":
        """The same recursion for a network of the first `depth` layers."""
        return MeanField(self.q[:, :depth], self.a2[:, :depth], self.chi[:, :depth], self.out[:, :depth])

    def chi_products(self) -> np.ndarray:
        """[N, L]: prod_{k=l}^{L-1} chi_k per input, ||dL/dh_l||^2 / ||dL/dh_L||^2 of that input (1 at l = L)."""
        return np.concatenate([np.cumprod(self.chi[:, -2::-1], axis=1)[:, ::-1], np.ones((len(self.chi), 1))], 1)

    def weights(self) -> np.ndarray:
        """[N]: each input's expected share of ||dL/dh_L||^2 (unnormalised): its loss gradient times its chi_L."""
        return self.out[:, -1] * self.chi[:, -1]

    def grad_h_profile(self) -> np.ndarray:
        """Predicted ||dL/dh_l|| / ||dL/dh_L|| for l = 1..L over the whole batch: the per-input products of chi
        combined as the Frobenius norm combines the inputs."""
        w = self.weights()
        return np.sqrt((w @ self.chi_products()) / w.sum())

    def grad_h_ratio(self) -> float:
        """Predicted ||dL/dh_1|| / ||dL/dh_L||."""
        return float(self.grad_h_profile()[0])

    def q_mean(self) -> np.ndarray:
        """[L]: q_l averaged over the inputs, as a layer's mean h^2 over inputs is measured."""
        return self.q.mean(0)


def mean_field(activation: str, depth: int = 10, width: int = 64, init: str = "torch_default",
               weight_scale: float = 1.0, x: np.ndarray | None = None, y: np.ndarray | None = None,
               task: str = "regression", samples: int = 400) -> MeanField:
    """Run the mean-field recursion for the seed network, one input at a time. weight_scale multiplies every
    weight's standard deviation (sigma_w^2 scales by its square); x is the input set and y its targets (default:
    the seed task's 200 training points; [N, d_in] for d_in > 1 inputs per example); task "classification"
    takes the softmax cross-entropy's output gradient, "regression" the MSE's."""
    act = activations.get(activation)
    if x is None:
        from ..core.data import make_dataset
        data = make_dataset()
        x, y = data.x.numpy(), data.y.numpy()
    x = np.asarray(x, dtype=float)
    x = x.reshape(len(x), -1)
    vw, vb = weight_variance(init, width, width)
    s2 = width * vw * weight_scale ** 2
    if x.shape[1] > 1:   # many inputs: h_1 = sum_i W_1i x_i + b_1 is close to N(0, Var(W_1) |x|^2 + Var(b_1))
        vw1, vb1 = weight_variance(init, x.shape[1], width)
        q = vw1 * weight_scale ** 2 * (x ** 2).sum(1) + vb1
        a2, d2 = gauss_moments(act.name, q)[:2]
    else:                # one input: h_1 = w x + b is not Gaussian; exact quadrature over the init's (w, b)
        q, _, a2, d2 = _first_layer_moments(act, x[:, 0], width, init, weight_scale, samples)
    qs, a2s, d2s = [q], [a2], [d2]
    for _ in range(depth - 1):
        qs.append(s2 * a2s[-1] + vb)
        a2, d2 = gauss_moments(act.name, qs[-1])[:2]
        a2s.append(a2)
        d2s.append(d2)
    q, a2 = np.stack(qs, 1), np.stack(a2s, 1)
    vwo, vbo = weight_variance(init, width, 1 if task == "regression" else 10)
    q_out = width * vwo * weight_scale ** 2 * a2 + vbo                        # E[z^2] of a readout on layer l
    if task == "regression":    # MSE: dL/dz = 2 (z - y) / N, E[(z - y)^2] = y^2 + E[z^2] (z has mean 0)
        y = np.zeros(len(x)) if y is None else np.asarray(y, dtype=float).reshape(len(x))
        out = y[:, None] ** 2 + q_out
    elif task == "classification":   # cross-entropy over 10 classes: E||softmax(z) - e_y||^2, z ~ N(0, q_out I)
        out = softmax_gradient_sq(q_out)
    else:
        raise ValueError(f"unknown task {task!r}; valid choices: regression, classification")
    return MeanField(q, a2, s2 * np.stack(d2s, 1), out)


def _first_layer_moments(act, x: np.ndarray, width: int, init: str, weight_scale: float = 1.0,
                         samples: int = 400) -> tuple[np.ndarray, ...]:
    """Per input of x (one number each): layer 1's E[h^2], E[phi(h)], E[phi(h)^2] and E[phi'(h)^2] over the init's
    (w, b), exactly (the start of every recursion here)."""
    h1 = _first_layer(x, width, init, weight_scale, samples).reshape(-1, len(x)).T      # [N, samples]
    a1 = act.fn(h1)
    return tuple(t.mean(1).numpy() for t in (h1 ** 2, a1, a1 ** 2, act.derivative(h1) ** 2))


def _first_layer(x: np.ndarray, width: int, init: str, weight_scale: float = 1.0, samples: int = 400) -> torch.Tensor:
    """Layer 1's pre-activations h = w x + b over the init distribution of (w, b) and the inputs x, exactly
    (quadrature over the distribution), flattened with the input fastest: the values every mean-field
    recursion here starts from."""
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


# Gaussian moments of many variances at once: E[phi^2], E[phi'^2] and E[phi] / sqrt(q) are smooth in log q, so a
# cubic spline through exact values at 64 points per decade reproduces them to about 1e-9 (tests/test_theory.py).
_LOGQ = np.linspace(math.log(1e-12), math.log(1e12), 24 * 64 + 1)


@lru_cache(maxsize=None)
def _moment_splines(activation: str):
    from scipy.interpolate import CubicSpline
    act = activations.get(activation)
    z = torch.from_numpy(_Z)
    cols = [[], [], []]
    for chunk in np.array_split(np.exp(_LOGQ), 16):
        h = torch.from_numpy(np.sqrt(chunk))[:, None] * z                    # [q, grid]
        cols[0].append((act.fn(h) ** 2).numpy() @ _W)
        cols[1].append((act.derivative(h) ** 2).numpy() @ _W)
        cols[2].append(act.fn(h).numpy() @ _W / np.sqrt(chunk))
    a2, d2, m = (np.concatenate(c) for c in cols)
    logged = [v.min() > 0 for v in (a2, d2)]     # positive moments are splined in log (relative accuracy)
    return ([CubicSpline(_LOGQ, np.log(v) if lg else v) for v, lg in zip((a2, d2), logged)] + [CubicSpline(_LOGQ, m)],
            logged)


def gauss_moments(activation: str, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(E[phi(h)^2], E[phi'(h)^2], E[phi(h)]) for h ~ N(0, q), elementwise over an array of variances; exact
    quadrature (gauss_mean) outside 1e-12 <= q <= 1e12."""
    q = np.asarray(q, dtype=float)
    splines, logged = _moment_splines(activations.get(activation).name)
    lq = np.log(np.clip(q, 1e-12, 1e12))
    a2, d2 = (np.exp(s(lq)) if lg else s(lq) for s, lg in zip(splines[:2], logged))
    m = splines[2](lq) * np.sqrt(np.maximum(q, 0))
    outside = (q < 1e-12) | (q > 1e12)
    if outside.any():
        act = activations.get(activation)
        for i in np.flatnonzero(outside.ravel()):
            v = float(q.ravel()[i])
            a2.ravel()[i] = gauss_mean(lambda h: act.fn(h) ** 2, v)
            d2.ravel()[i] = gauss_mean(lambda h: act.derivative(h) ** 2, v)
            m.ravel()[i] = gauss_mean(act.fn, v)
    return a2, d2, m


_SOFTMAX_Z = np.random.default_rng(0).standard_normal((4000, 10))   # fixed draws: a deterministic expectation
_SOFTMAX_LOGQ = np.linspace(math.log(1e-12), math.log(1e12), 24 * 8 + 1)


@lru_cache(maxsize=1)
def _softmax_spline():
    from scipy.interpolate import CubicSpline
    z = _SOFTMAX_Z[None] * np.sqrt(np.exp(_SOFTMAX_LOGQ))[:, None, None]
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return CubicSpline(_SOFTMAX_LOGQ, (p ** 2).sum(-1).mean(-1))


def softmax_gradient_sq(q: np.ndarray) -> np.ndarray:
    """E||softmax(z) - e_y||^2 for logits z ~ N(0, q I_10) and a label y independent of z: 1 - 2/10 +
    E[sum_k p_k^2], from 0.9 (small logits) to 1.8 (large ones)."""
    return 0.8 + _softmax_spline()(np.log(np.clip(q, 1e-12, 1e12)))


def residual_profile(activation: str, depth: int, width: int = 64, init: str = "torch_default") -> np.ndarray:
    """Mean-field ||dL/du_l|| / ||dL/du_L||, l = 1..L, at init, for the residual MLP of helpers.engine.blocks
    (a_1 = phi(u_1), a_l = a_{l-1} + phi(u_l) with u_l = W_l a_{l-1} + b_l for l >= 2) on the seed task's inputs,
    one recursion per input (Yang & Schoenholz 2017 derive this one-layer residual block's laws).

    Forward: u_l ~ N(0, sigma_w^2 v_{l-1} + sigma_b^2), where the stream's mean m and second moment v grow by
    m_l = m_{l-1} + E[phi(u_l)], v_l = v_{l-1} + 2 m_{l-1} E[phi(u_l)] + E[phi(u_l)^2] (u_l is independent of
    the unit's own a_{l-1} to leading order in 1/width). Backward: each block adds a path to the identity's,
    ||dL/da_{l-1}||^2 = (1 + chi_l) ||dL/da_l||^2 with chi_l = sigma_w^2 E[phi'(u_l)^2] > 0: the gradient can
    only grow toward the input, never vanish; and ||dL/du_l||^2 = E[phi'(u_l)^2] ||dL/da_l||^2. The inputs are
    combined as the Frobenius norm combines them (MeanField.grad_h_profile)."""
    return np.array(_residual_profile(activation, depth, width, init))


@lru_cache(maxsize=None)   # a chapter's table and its prose ask for the same profile
def _residual_profile(activation: str, depth: int, width: int, init: str) -> tuple[float, ...]:
    from ..core.data import make_dataset
    act, data = activations.get(activation), make_dataset()
    x, y = data.x.numpy()[:, 0], data.y.numpy()[:, 0]
    vw, vb = weight_variance(init, width, width)
    s2 = width * vw
    _, m, v, d2 = _first_layer_moments(act, x, width, init)
    slope2, chis = [d2], [np.zeros(len(x))]
    for _ in range(depth - 1):
        a2, d2, mu = gauss_moments(act.name, s2 * v + vb)
        m, v = m + mu, v + 2 * m * mu + a2
        slope2.append(d2)
        chis.append(s2 * d2)
    slope2, chis = np.stack(slope2, 1), np.stack(chis, 1)                  # [N, L]
    # ||dL/da_l||^2 relative to layer L, per input: the product of (1 + chi_k) over the blocks above l
    above = np.concatenate([np.cumprod((1 + chis[:, :0:-1]), axis=1)[:, ::-1], np.ones((len(x), 1))], 1)
    vwo, vbo = weight_variance(init, width, 1)
    out = y ** 2 + width * vwo * v + vbo                                    # E[(z - y)^2] per input
    return tuple(np.sqrt((out @ (slope2 * above)) / (out @ slope2[:, -1])))
