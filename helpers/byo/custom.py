"""Bring your own activation: register a torch function (or a formula) under a name, and every part of the book
that takes an activation by name takes it: the batched engine, the probes, the theory, the runs, the card.

    from helpers import byo
    byo.register("mish", lambda x: x * torch.tanh(torch.nn.functional.softplus(x)))
    byo.register("snake", byo.formula("x + sin(x)^2"))

Its derivative comes from autograd unless given; a given one is checked against autograd. A formula is parsed
into a small expression tree of the operations below (never eval'd), so a typed formula cannot run other code."""
from __future__ import annotations

import ast
import math
from contextlib import contextmanager
from typing import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..core import activations
from ..core.activations import Activation

FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "tanh": torch.tanh, "sinh": torch.sinh, "cosh": torch.cosh,
    "atan": torch.atan, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "erf": torch.erf,
    "sigmoid": torch.sigmoid, "softplus": F.softplus, "relu": torch.relu, "gelu": F.gelu, "silu": F.silu,
}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY = {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div, ast.Pow: torch.pow}
PROBE = torch.linspace(-10, 10, 2001, dtype=torch.float64)      # where a formula must not be constant
WIDE = torch.linspace(-100, 100, 20001, dtype=torch.float64)     # where phi^2 must be finite (the theory's integrals)
PALETTE = ("#78281F", "#4D5656", "#6C3483", "#117864", "#9C640C", "#1B4F72")   # for activations readers bring


def formula(text: str) -> Callable[[Tensor], Tensor]:
    """phi(x) from a formula in x: numbers, pi, e, + - * / and ^ (or **), and the functions in FUNCTIONS.
    ValueError (one line) for anything else, with what is allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the formula is empty: write phi in terms of x, e.g. 'x * tanh(softplus(x))'")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval").body
    except SyntaxError:
        raise ValueError(f"the formula {text!r} does not parse: write phi in terms of x, e.g. "
                         "'x * tanh(softplus(x))'") from None

    def build(node) -> Callable[[Tensor], Tensor]:
        if isinstance(node, ast.Name):
            if node.id == "x":
                return lambda x: x
            if node.id in CONSTANTS:
                c = CONSTANTS[node.id]
                return lambda x: torch.full_like(x, c)
            raise ValueError(f"unknown name {node.id!r} in {text!r}: the variable is x; constants: pi, e; "
                             f"functions: {', '.join(FUNCTIONS)}")
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            c = float(node.value)
            return lambda x: torch.full_like(x, c)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand)
            return (lambda x: -inner(x)) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op, left, right = _BINARY[type(node.op)], build(node.left), build(node.right)
            return lambda x: op(left(x), right(x))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords \
                and len(node.args) == 1 and node.func.id in FUNCTIONS:
            fn, arg = FUNCTIONS[node.func.id], build(node.args[0])
            return lambda x: fn(arg(x))
        raise ValueError(f"{ast.unparse(node)!r} is not allowed in a formula ({text!r}): use x, numbers, pi, e, "
                         f"+ - * / ^ and the functions {', '.join(FUNCTIONS)}")
    return build(tree)


def autograd_derivative(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """phi'(x) by autograd, elementwise (phi acts on each entry alone)."""
    def derivative(x: Tensor) -> Tensor:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(fn(x).sum(), x)
        return g.detach()
    return derivative


class _Module(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def register(name: str, fn: Callable[[Tensor], Tensor], derivative: Callable[[Tensor], Tensor] | None = None,
             label: str | None = None, colour: str | None = None, tex: str = "") -> Activation:
    """Add an activation to the registry under `name` (a new name: the built-in ones stay as they are).
    fn maps a tensor to a tensor of the same shape, entry by entry; derivative, if given, must agree with
    autograd's on [-10, 10]. ValueError (one line) for a name taken, a function whose square is not finite on
    [-100, 100], one constant on [-10, 10], or a derivative that disagrees."""
    key = name.strip().lower() if isinstance(name, str) else ""
    if not key.isidentifier():
        raise ValueError(f"an activation's name is a word such as 'mish', got {name!r}")
    if key in activations.ACTIVATIONS or key in activations._ALIASES:
        raise ValueError(f"{key!r} is taken (registered: {', '.join(activations.ACTIVATIONS)}): choose another name")
    try:
        y = fn(PROBE.clone())
    except Exception as exc:
        raise ValueError(f"{key}: the function fails on a tensor ({type(exc).__name__}: {exc})") from None
    if not isinstance(y, Tensor) or y.shape != PROBE.shape:
        raise ValueError(f"{key}: the function must return a tensor of its input's shape")
    wide = fn(WIDE.clone()) ** 2
    if not torch.isfinite(wide).all():
        bad = WIDE[~torch.isfinite(wide)][0].item()
        raise ValueError(f"{key}: phi(x)^2 is not finite on [-100, 100] (at x = {bad:g}); the book's networks and "
                         "theory need an activation that grows no faster than that")
    if float(y.max() - y.min()) < 1e-9:
        raise ValueError(f"{key}: the function is constant on [-10, 10], so no gradient passes through it")
    auto = autograd_derivative(fn)
    if derivative is None:
        derivative = auto
    elif not torch.allclose(derivative(PROBE), auto(PROBE), rtol=1e-6, atol=1e-9):
        worst = (derivative(PROBE) - auto(PROBE)).abs().argmax()
        raise ValueError(f"{key}: the given derivative disagrees with autograd's (at x = {PROBE[worst].item():g})")
    taken = {a.colour for a in activations.ACTIVATIONS.values()}
    act = Activation(
        name=key, label=label or key, colour=colour or next((c for c in PALETTE if c not in taken), PALETTE[0]),
        dash="-", formula=tex or key, module=lambda: _Module(fn), fn=fn, derivative=derivative,
        into=lambda h, out: out.copy_(fn(h)),
        vjp_into=lambda g, h, a, out: torch.mul(g, derivative(h), out=out),
        smoothness="as given", cost="as given")
    activations.ACTIVATIONS[key] = act
    return act


# Four activations beyond the book's eight (chapter 12), with closed-form derivatives (register checks them):
# Mish (Misra 2019), Softplus, the sine of SIREN (Sitzmann et al. 2020; its w0 is absorbed in the weights' scale)
# and Snake with a = 1 (Ziyin et al. 2020).
EXTRAS = {
    "mish": ("Mish", "#6C3483", r"x \tanh(\operatorname{softplus} x)",
             lambda x: x * torch.tanh(F.softplus(x)),
             lambda x: torch.tanh(F.softplus(x)) + x * torch.sigmoid(x) * (1 - torch.tanh(F.softplus(x)) ** 2)),
    "softplus": ("Softplus", "#117864", r"\log(1 + e^x)", F.softplus, torch.sigmoid),
    "sine": ("Sine", "#9C640C", r"\sin x", torch.sin, torch.cos),
    "snake": ("Snake", "#1B4F72", r"x + \sin^2 x", lambda x: x + torch.sin(x) ** 2, lambda x: 1 + torch.sin(2 * x)),
}


def register_extras() -> list[str]:
    """Put the four EXTRAS in the registry (again: no-op), and return their names."""
    for name, (label, colour, tex, fn, d) in EXTRAS.items():
        if name not in activations.ACTIVATIONS:
            register(name, fn, d, label=label, colour=colour, tex=tex)
    return list(EXTRAS)


@contextmanager
def extras_registered():
    """The four EXTRAS in the registry for the duration (those this call added go again after): a computation that
    needs them leaves the process's registry as it found it."""
    added = [n for n in EXTRAS if n not in activations.ACTIVATIONS]
    register_extras()
    try:
        yield list(EXTRAS)
    finally:
        for name in added:
            unregister(name)


def unregister(name: str) -> None:
    """Remove an activation that register() added (the built-in ones cannot be removed)."""
    if name in activations.BOOK_ACTIVATIONS or name in activations.STACK_ACTIVATIONS:
        raise ValueError(f"{name!r} is built in")
    activations.ACTIVATIONS.pop(name, None)
    activations._MAX_SLOPE.pop(name, None)
