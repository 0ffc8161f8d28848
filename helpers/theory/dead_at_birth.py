"""Dead ReLU units at initialisation: closed forms, an infinite-width Gaussian-process prediction and
the probability that a whole narrow network is dead at birth (chapter 3)."""
from __future__ import annotations

import math

import numpy as np

from . import weight_variance


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


def p_point_dead_grid(widths, depths) -> np.ndarray:
    """p_point_dead on a [width, depth] grid (the theory drawn next to the born-dead measurement)."""
    return np.array([[p_point_dead(w, L) for L in depths] for w in widths])
