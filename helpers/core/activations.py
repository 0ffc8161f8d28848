"""The activation registry: name -> function, closed-form derivative, fused kernels, colour and line style."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

aten = torch.ops.aten
LEAKY_SLOPE = 0.01  # PyTorch's default negative slope

# The five activations of the seed experiment (the mission's), in the order every table and legend uses;
# BOOK_ACTIVATIONS adds the three the book also trains everywhere (tanh, ELU, SiLU).
SEED_ACTIVATIONS = ("identity", "sigmoid", "relu", "leaky_relu", "gelu")
BOOK_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")
# The deep-stacks chapter adds SELU, built to keep mean 0 and variance 1 through depth (Klambauer et al. 2017).
STACK_ACTIVATIONS = BOOK_ACTIVATIONS + ("selu",)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805   # torch.selu's constants


@dataclass(frozen=True)
class Activation:
    """One activation: how to build it, its derivative, the fused kernels the engine calls, how to draw it."""

    name: str
    label: str
    colour: str
    dash: str            # matplotlib line style: neighbours in colour differ in dash too
    formula: str         # LaTeX, for the intro page and legends
    module: Callable[[], nn.Module]
    fn: Callable[[Tensor], Tensor]          # phi as a differentiable function (autograd, probes)
    derivative: Callable[[Tensor], Tensor]  # phi'(x) in closed form
    # The batched engine's kernels, writing into a preallocated `out` (no autograd, no allocation):
    # into(h, out) = phi(h); vjp_into(g, h, a, out) = g * phi'(h), by PyTorch's own fused backward
    # kernel (the one autograd calls), given h and a = phi(h).
    into: Callable[[Tensor, Tensor], Tensor]
    vjp_into: Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]
    smoothness: str = ""   # for the cheat sheet
    cost: str = ""         # what one evaluation costs, beyond a multiply-add

    def __call__(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def vjp(self, g: Tensor, h: Tensor, a: Tensor) -> Tensor:
        """g * phi'(h) into a new tensor."""
        return self.vjp_into(g, h, a, torch.empty_like(g))

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


def _copy(h: Tensor, out: Tensor) -> Tensor:
    return out.copy_(h)


# Colours are nine well-separated hues (colour-blind aware); pairs that behave alike (ReLU / Leaky
# ReLU, sigmoid / tanh, GELU / SiLU, ELU) also differ in line style, so no curve hides another.
_REGISTRY = [
    Activation("identity", "Linear (identity)", "#555555", ":", r"\phi(x) = x",
               nn.Identity, lambda x: x, torch.ones_like,
               _copy, lambda g, h, a, out: out.copy_(g),
               smoothness="smooth (linear)", cost="nothing"),
    Activation("sigmoid", "Sigmoid", "#1F4E9C", "-", r"\phi(x) = 1/(1+e^{-x})",
               nn.Sigmoid, torch.sigmoid, _d_sigmoid,
               lambda h, out: torch.sigmoid(h, out=out),
               lambda g, h, a, out: aten.sigmoid_backward.grad_input(g, a, grad_input=out),
               smoothness="smooth", cost="an exponential"),
    Activation("tanh", "Tanh", "#17A2B8", "--", r"\phi(x) = \tanh x",
               nn.Tanh, torch.tanh, lambda x: 1 - torch.tanh(x) ** 2,
               lambda h, out: torch.tanh(h, out=out),
               lambda g, h, a, out: aten.tanh_backward.grad_input(g, a, grad_input=out),
               smoothness="smooth", cost="an exponential"),
    # PyTorch's subgradient choices at 0: relu'(0) = 0, leaky_relu'(0) = slope.
    Activation("relu", "ReLU", "#C0392B", "-", r"\phi(x) = \max(0, x)",
               nn.ReLU, F.relu, lambda x: (x > 0).to(x.dtype),
               lambda h, out: torch.clamp_min(h, 0, out=out),
               lambda g, h, a, out: aten.threshold_backward.grad_input(g, h, 0, grad_input=out),
               smoothness="kink at 0", cost="a comparison"),
    Activation("leaky_relu", "Leaky ReLU", "#E08A00", "--", r"\phi(x) = \max(0.01x, x)",
               lambda: nn.LeakyReLU(LEAKY_SLOPE), lambda x: F.leaky_relu(x, LEAKY_SLOPE),
               lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, LEAKY_SLOPE)),
               lambda h, out: aten.leaky_relu.out(h, LEAKY_SLOPE, out=out),
               lambda g, h, a, out: aten.leaky_relu_backward.grad_input(g, h, LEAKY_SLOPE, False, grad_input=out),
               smoothness="kink at 0", cost="a comparison"),
    Activation("elu", "ELU", "#B5338A", "-.", r"\phi(x) = x \text{ if } x>0 \text{ else } e^x - 1",
               nn.ELU, F.elu, lambda x: torch.where(x > 0, torch.ones_like(x), torch.exp(x)),
               lambda h, out: aten.elu.out(h, 1.0, 1.0, 1.0, out=out),
               lambda g, h, a, out: aten.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, h, grad_input=out),
               smoothness="continuous slope, kink in curvature at 0", cost="an exponential (x < 0)"),
    Activation("selu", "SELU", "#7A4A1E", (0, (3, 1, 1, 1)),
               r"\phi(x) = \lambda x \text{ if } x>0 \text{ else } \lambda\alpha (e^x - 1)",
               nn.SELU, torch.selu,
               lambda x: SELU_SCALE * torch.where(x > 0, torch.ones_like(x), SELU_ALPHA * torch.exp(x)),
               lambda h, out: aten.elu.out(h, SELU_ALPHA, SELU_SCALE, 1.0, out=out),
               lambda g, h, a, out: aten.elu_backward.grad_input(g, SELU_ALPHA, SELU_SCALE, 1.0, False, h,
                                                                 grad_input=out),
               smoothness="continuous value, slope jumps at 0 (1.05 to 1.76)", cost="an exponential (x < 0)"),
    Activation("gelu", "GELU", "#2E8B3A", "-", r"\phi(x) = x\,\Phi(x)",
               nn.GELU, F.gelu, lambda x: _normal_cdf(x) + x * _normal_pdf(x),
               lambda h, out: aten.gelu.out(h, out=out),
               lambda g, h, a, out: aten.gelu_backward.grad_input(g, h, grad_input=out),
               smoothness="smooth", cost="an erf"),
    Activation("silu", "SiLU (Swish)", "#8C8C1A", (0, (6, 2, 1, 2)), r"\phi(x) = x\,\sigma(x)",
               nn.SiLU, F.silu, _d_silu,
               lambda h, out: aten.silu.out(h, out=out),
               lambda g, h, a, out: aten.silu_backward.grad_input(g, h, grad_input=out),
               smoothness="smooth", cost="an exponential"),
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
