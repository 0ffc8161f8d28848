"""Measurements of a (stacked) network: per-layer gradients, unit states, hidden activations.

Every probe takes a StackedMLP, so the batched engine and the plain loop are measured by the
same code. Definitions (book/notation.md): hidden layer l = 1..L counts from the input; h_l is
its pre-activation, a_l = phi(h_l) its activation.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ..core import workspace
from ..core.models import StackedMLP

# unit_states() returns these per layer, in this order
UNIT_STATES = ("active", "dead", "saturated", "off")
ON_THRESHOLD = 0.25          # a unit is "on" at x if |phi'(h(x))| >= 25% of max |phi'|
SATURATION_THRESHOLD = 0.01  # ... "saturated" if |phi'(h(x))| < 1% of max |phi'| for every x
VALUE_ZERO = 1e-3            # an activation value counts as zero if |a| < 0.1% of the layer's largest |a|


def per_model_mse(out: Tensor, y: Tensor) -> Tensor:
    """[M] mean squared error of each model; y is [N, 1] (shared) or [M, N, 1]."""
    return ((out - y) ** 2).mean(dim=(1, 2))


def per_model_loss(out: Tensor, y: Tensor, task: str = "regression") -> Tensor:
    """[M] each model's training loss: MSE, or for classification the softmax cross-entropy of the
    outputs (logits) [M, N, C] against one-hot y, averaged over the N inputs."""
    if task == "classification":
        return -(torch.log_softmax(out, dim=-1) * y).sum(-1).mean(-1)
    return per_model_mse(out, y)


def per_model_accuracy(out: Tensor, y: Tensor) -> Tensor:
    """[M] fraction of inputs whose largest logit is the one-hot target's class."""
    return (out.argmax(-1) == y.argmax(-1)).double().mean(-1)


def layer_gradients(net: StackedMLP, x: Tensor, y: Tensor, task: str = "regression") -> tuple[Tensor, Tensor]:
    """Per model and hidden layer l = 1..L, for the training loss (per_model_loss) on (x, y):

    - grad_w [M, L]: mean |dL/dW_l| over the entries of W_l;
    - grad_h [M, L]: ||dL/dh_l||, the Frobenius norm of the gradient w.r.t. the pre-activation
      matrix h_l [N, width] (the quantity backprop theory multiplies by W^T diag(phi')).
    Leaves the parameters' .grad untouched.
    """
    with torch.enable_grad():
        out, pre = net(x, keep=True)
        loss = per_model_loss(out, y, task).sum()  # models are independent: d(sum)/d(theta_m) = dL_m/d(theta_m)
        grads = torch.autograd.grad(loss, net.weights[:-1] + pre)
    L = net.depth
    grad_w = torch.stack([g.abs().mean(dim=(1, 2)) for g in grads[:L]], 1)
    grad_h = torch.stack([g.flatten(1).norm(dim=1) for g in grads[L:]], 1)
    return grad_w.detach(), grad_h.detach()


@torch.no_grad()
def forward(net: StackedMLP, x: Tensor, keep: bool = True) -> tuple[Tensor, list[Tensor]]:
    """(outputs [M, N, d_out], pre-activations h_l [M, N, width] for l = 1..L if keep), no graph."""
    return net(x, keep=keep)


def pre_activations(net: StackedMLP, x: Tensor) -> list[Tensor]:
    """h_l [M, N, width] for l = 1..L."""
    return forward(net, x)[1]


@torch.no_grad()
def relative_slope(act, h: Tensor, a: Tensor | None = None, out: Tensor | None = None) -> Tensor:
    """|phi'(h)| / max |phi'|, in float64 (float32 rounding can fake a zero derivative), with phi' as
    backprop applies it: the activation's backward kernel at an upstream gradient of 1 (sigmoid and tanh
    read it off a = phi(h): pass a if it is at hand in float64). NaN where h is NaN (no slope there).
    out: a float64 buffer shaped as h to write into."""
    if h.dtype != torch.float64:
        h = h.double()
    if a is None or a.dtype != torch.float64:
        a = act.fn(h)
    out = torch.empty_like(h) if out is None else out
    act.vjp_into(h.new_ones(()).expand_as(h), h, a, out)
    if not torch.isfinite(h.sum()):     # (one cheap pass) a kink's kernel reads NaN as h > 0: ReLU's slope 1
        out.masked_fill_(h.isnan(), math.nan)
    return out.abs_().div_(act.max_slope)


def is_on(act, h: Tensor) -> Tensor:
    """Where a unit is on: it passes at least ON_THRESHOLD of its activation's best gain."""
    return relative_slope(act, h) >= ON_THRESHOLD


@torch.no_grad()
def unit_states(net: StackedMLP, x_grid: Tensor, pre: list[Tensor] | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Per layer, the states of the units on the inputs x_grid (see states), by the engine's forward pass;
    or of given pre-activations pre[l] [M, N, width] (a network with normalised or residual blocks)."""
    if pre is not None:
        return states(net.runs, [u.transpose(1, 2) for u in pre], [net.activate(u).transpose(1, 2) for u in pre])
    parts = [states(chunk.runs, chunk.h, chunk.a) for chunk, _ in workspace.forward(net, x_grid)]
    return tuple(torch.cat(p) for p in zip(*parts))


@torch.no_grad()
def states(runs, hs: list[Tensor], acts: list[Tensor]) -> tuple[Tensor, Tensor, Tensor]:
    """Per layer, from the pre-activations h_l and activations a_l [m, width, N] of m models on N inputs
    (runs: (activation, start, stop) of the models, as StackedMLP.runs):

    fractions [m, L, 4] (see UNIT_STATES):
    - active: fraction of (input, unit) pairs where the unit is on: |phi'(h)| >= 25% of its max,
      i.e. it passes at least a quarter of its best gain (ReLU, Leaky ReLU: h > 0; GELU: h > -0.28;
      sigmoid: |h| < 2.63; tanh: |h| < 1.32; identity: always);
    - dead: fraction of units with phi'(h(x)) == 0 exactly for every grid input;
    - saturated: fraction of units with |phi'| < 1% of its max for every grid input (dead included);
    - off: fraction of units that are on for no grid input (dead, saturated, or a Leaky ReLU unit
      negative everywhere, which still passes 1% of the gradient);
    per_unit [m, L, width]: the fraction of inputs at which each unit is on;
    value_zero [m, L]: sparsity of the activation *values*, the share of (input, unit) pairs with
    |a| < VALUE_ZERO x the layer's largest |a| (a ReLU unit at h < 0 is zero; a sigmoid unit stuck at
    a = 1 is off, yet its value is not zero).
    The slopes are relative_slope's (float64, so that rounding cannot fake a zero; backprop's own phi').
    A unit's largest relative slope over the inputs decides dead (== 0) and saturated (< 1%) in one
    reduction, its count of inputs on decides off (none).
    """
    fractions, per_unit, zero = [], [], []
    buf = torch.empty(hs[0].shape, dtype=torch.float64, device=hs[0].device) if hs else None
    for h, a in zip(hs, acts):
        n, rows, units = h.shape[2], [], []
        for act, s, e in runs:
            d = relative_slope(act, h[s:e], a[s:e], buf[s:e])
            on = (d >= ON_THRESHOLD).sum(2).double()        # inputs at which each unit is on (NaN: not on)
            top = d.amax(2)                                 # a NaN slope: neither dead nor saturated
            units.append(on / n)
            rows.append(torch.stack([on.sum(1) / (on.shape[1] * n), (top == 0).double().mean(1),
                                     (top < SATURATION_THRESHOLD).double().mean(1), (on == 0).double().mean(1)], 1))
        mag = torch.abs(a, out=buf) if a.dtype == buf.dtype else a.abs()    # |a| [m, width, N]
        big = mag.amax(dim=(1, 2), keepdim=True)
        zero.append((mag < VALUE_ZERO * big).sum(dim=(1, 2), dtype=torch.float64) / (mag.shape[1] * n))
        fractions.append(torch.cat(rows))
        per_unit.append(torch.cat(units))
    return torch.stack(fractions, 1), torch.stack(per_unit, 1), torch.stack(zero, 1)


def sharpness(net: StackedMLP, x: Tensor, y: Tensor, iters: int = 50, seed: int = 0) -> Tensor:
    """[M] the largest eigenvalue of each model's Hessian of the MSE on (x, y), by power iteration
    with Hessian-vector products (double backward). Plain gradient descent on a quadratic with this
    curvature is stable only for learning rates below 2 / sharpness."""
    params = net.weights + net.biases
    gen = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device) for p in params]

    def per_model(ts):  # [M] Euclidean norm of each model's slice
        return torch.sqrt(sum((t.flatten(1) ** 2).sum(1) for t in ts))

    def scale(ts, s):
        return [t / s.view(-1, *[1] * (t.dim() - 1)) for t in ts]

    with torch.enable_grad():
        out, _ = net(x)
        grads = torch.autograd.grad(per_model_mse(out, y).sum(), params, create_graph=True)
        v = scale(v, per_model(v))
        for _ in range(iters):
            hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
            lam = sum((a * b).flatten(1).sum(1) for a, b in zip(v, hv))
            v = scale([h.detach() for h in hv], per_model(hv))
    return lam.detach()


@torch.no_grad()
def readout_curvature(net: StackedMLP, x: Tensor) -> Tensor:
    """[M] top eigenvalue of the readout layer's own Hessian block, (2/N) A^T A with A = [a_L(x), 1]:
    a lower bound on the sharpness (eigenvalue interlacing). Large when the last layer's
    activations share a big common mean, as sigmoid's (about 1/2) do."""
    pre = pre_activations(net, x)
    a = net.activate(pre[-1])                                    # [M, N, width]
    a = torch.cat([a, torch.ones_like(a[..., :1])], -1)
    return torch.linalg.eigvalsh(2 * a.transpose(1, 2) @ a / a.shape[1])[:, -1]


PIECEWISE_LINEAR = ("identity", "relu", "leaky_relu")


def breakpoints(net: StackedMLP, m: int, lo: float = -math.pi, hi: float = math.pi) -> np.ndarray:
    """Exact breakpoints in [lo, hi] of model m, a 1-D network with piecewise-linear activations.

    Layer by layer: between the breakpoints found so far every earlier unit keeps its state, so each
    unit of the next layer is affine in x there, h(x) = h(mid) + s (x - mid) with the exact slope s
    propagated alongside; its zero crossing, if inside the interval, is a new breakpoint. The
    pieces of the network are the intervals between consecutive breakpoints (regions of constant
    activation pattern, as counted by Hanin & Rolnick 2019)."""
    act = net.acts[m]
    if act.name not in PIECEWISE_LINEAR:
        raise ValueError(f"linear pieces need a piecewise-linear activation ({', '.join(PIECEWISE_LINEAR)}); "
                         f"got {act.name!r}")
    Ws = [w[m].detach().double() for w in net.weights[:-1]]
    bs = [b[m, 0].detach().double() for b in net.biases[:-1]]
    points = torch.tensor([lo, hi], dtype=torch.float64)
    for l in range(len(Ws)):
        mid = (points[:-1] + points[1:]) / 2
        a, s = mid[:, None], torch.ones(len(mid), 1, dtype=torch.float64)
        for k in range(l + 1):
            h, s = a @ Ws[k] + bs[k], s @ Ws[k]
            if k < l:
                d = act.derivative(h)        # constant on the interval: exact slope propagation
                a, s = act.fn(h), s * d
        with np.errstate(divide="ignore", invalid="ignore"):
            roots = (mid[:, None] - h / s)
        # a root within rounding distance of an existing breakpoint is that breakpoint (a unit that
        # touches zero exactly at a kink, as in the tent map, does not start a new piece)
        tol = 1e-9 * (hi - lo)
        inside = (roots > points[:-1, None] + tol) & (roots < points[1:, None] - tol) & torch.isfinite(roots)
        points = torch.unique(torch.cat([points, roots[inside]]))   # sorted
    return points.numpy()


def linear_pieces(net: StackedMLP, lo: float = -math.pi, hi: float = math.pi) -> np.ndarray:
    """[M] number of linear pieces of each model on [lo, hi] (see breakpoints)."""
    return np.array([len(breakpoints(net, m, lo, hi)) - 1 for m in range(net.M)])
