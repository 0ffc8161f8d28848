"""The activation registry: name -> module factory, closed-form derivative and one colour each."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

aten = torch.ops.aten
LEAKY_SLOPE = 0.01  # PyTorch's default negative slope

# The five activations of the seed experiment, in the order every table and legend uses.
SEED_ACTIVATIONS = ("identity", "sigmoid", "relu", "leaky_relu", "gelu")


@dataclass(frozen=True)
class Activation:
    """One activation: how to build it, its derivative, how to draw it."""

    name: str
    label: str
    colour: str
    formula: str  # LaTeX, for the intro page and legends
    module: Callable[[], nn.Module]
    fn: Callable[[Tensor], Tensor]  # phi as a plain function, for the stacked engine
    derivative: Callable[[Tensor], Tensor]  # phi'(x) in closed form
    # grad_out * phi'(h) by PyTorch's own fused backward kernel (the one autograd calls), given h
    # and a = phi(h): the batched engine's hand-written backward pass uses it.
    vjp: Callable[[Tensor, Tensor, Tensor], Tensor]
    smoothness: str = ""   # for the cheat sheet
    cost: str = ""         # what one evaluation costs, beyond a multiply-add

    def __call__(self, x: Tensor) -> Tensor:
        return self.fn(x)

    @property
    def max_slope(self) -> float:
        """max_x |phi'(x)|, found on a fine grid (the reference for "saturated" and "on")."""
        return _max_slope(self.name)

    def slope_range(self) -> tuple[float, float]:
        """(min, max) of phi'(x) over x in [-10, 10], on a fine grid."""
        d = self.derivative(torch.linspace(-10, 10, 200_001, dtype=torch.float64))
        return float(d.min()), float(d.max())


def _normal_cdf(x: Tensor) -> Tensor:
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: Tensor) -> Tensor:
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _d_sigmoid(x: Tensor) -> Tensor:
    s = torch.sigmoid(x)
    return s * (1 - s)


def _d_silu(x: Tensor) -> Tensor:
    s = torch.sigmoid(x)
    return s * (1 + x * (1 - s))


# Colours: Okabe-Ito (colour-blind safe); the ReLU family shares warm tones, sigmoid/tanh blues.
_REGISTRY = [
    Activation("identity", "Linear (identity)", "#555555", r"\phi(x) = x",
               nn.Identity, lambda x: x, torch.ones_like,
               lambda g, h, a: g,
               smoothness='smooth (linear)', cost='nothing'),
    Activation("sigmoid", "Sigmoid", "#0072B2", r"\phi(x) = 1/(1+e^{-x})",
               nn.Sigmoid, torch.sigmoid, _d_sigmoid,
               lambda g, h, a: aten.sigmoid_backward(g, a),
               smoothness='smooth', cost='an exponential'),
    Activation("tanh", "Tanh", "#56B4E9", r"\phi(x) = \tanh x",
               nn.Tanh, torch.tanh, lambda x: 1 - torch.tanh(x) ** 2,
               lambda g, h, a: aten.tanh_backward(g, a),
               smoothness='smooth', cost='an exponential'),
    # PyTorch's subgradient choices at 0: relu'(0) = 0, leaky_relu'(0) = slope.
    Activation("relu", "ReLU", "#D55E00", r"\phi(x) = \max(0, x)",
               nn.ReLU, F.relu, lambda x: (x > 0).to(x.dtype),
               lambda g, h, a: aten.threshold_backward(g, h, 0),
               smoothness='kink at 0', cost='a comparison'),
    Activation("leaky_relu", "Leaky ReLU", "#E69F00", r"\phi(x) = \max(0.01x, x)",
               lambda: nn.LeakyReLU(LEAKY_SLOPE), lambda x: F.leaky_relu(x, LEAKY_SLOPE),
               lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, LEAKY_SLOPE)),
               lambda g, h, a: aten.leaky_relu_backward(g, h, LEAKY_SLOPE, False),
               smoothness='kink at 0', cost='a comparison'),
    Activation("gelu", "GELU", "#009E73", r"\phi(x) = x\,\Phi(x)",
               nn.GELU, F.gelu, lambda x: _normal_cdf(x) + x * _normal_pdf(x),
               lambda g, h, a: aten.gelu_backward(g, h),
               smoothness='smooth', cost='an erf'),
    Activation("elu", "ELU", "#CC79A7", r"\phi(x) = x \text{ if } x>0 \text{ else } e^x - 1",
               nn.ELU, F.elu, lambda x: torch.where(x > 0, torch.ones_like(x), torch.exp(x)),
               lambda g, h, a: aten.elu_backward(g, 1.0, 1.0, 1.0, False, h),
               smoothness='continuous slope, kink in curvature at 0', cost='an exponential (x < 0)'),
    Activation("silu", "SiLU (Swish)", "#7B4EA3", r"\phi(x) = x\,\sigma(x)",
               nn.SiLU, F.silu, _d_silu,
               lambda g, h, a: aten.silu_backward(g, h),
               smoothness='smooth', cost='an exponential'),
]
ACTIVATIONS: dict[str, Activation] = {a.name: a for a in _REGISTRY}
_ALIASES = {"linear": "identity", "none": "identity", "leakyrelu": "leaky_relu", "swish": "silu"}


def get(name: str) -> Activation:
    """Look an activation up by name (case-insensitive; 'linear'/'none' mean identity)."""
    key = str(name).lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid choices: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]


_MAX_SLOPE: dict[str, float] = {}


def _max_slope(name: str) -> float:
    if name not in _MAX_SLOPE:
        x = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
        _MAX_SLOPE[name] = float(ACTIVATIONS[name].derivative(x).abs().max())
    return _MAX_SLOPE[name]
