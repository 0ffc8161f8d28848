"""Measurements the chapters make on trained or freshly built networks while reading results (not
while training): where a unit is on, the flat part of the activation, and the gains of the backward
step. Nothing here feeds a cached run, so editing it recomputes nothing (helpers.experiments.cache)."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ..core.models import StackedMLP
from ..engine.probes import SATURATION_THRESHOLD, per_model_mse, pre_activations, relative_slope


def layer_ratio(g):
    """Layer 1 over the last layer of a per-layer log (last axis: layers 1..L); a network shallower than the
    log's layer axis is NaN-padded there, and its own last layer is used."""
    last = np.take_along_axis(g, (np.isfinite(g).sum(-1, keepdims=True) - 1).clip(0), -1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):   # a frozen (diverged) run's gradients are all 0
        return g[..., 0] / last


def signal_gains(net: StackedMLP, x: Tensor, y: Tensor) -> Tensor:
    """[M, L-1, 3]: for each weight matrix W_{l+1} between hidden layers (l = 1..L-1), three gains of
    the backward step dL/da_l = W_{l+1} dL/dh_{l+1}:
    - random: ||W||_F / sqrt(fan_out), the gain for a signal in a random direction (what mean field
      assumes: weights independent of the signal);
    - signal: ||W_{l+1} dL/dh_{l+1}|| / ||dL/dh_{l+1}|| for the actual full-batch gradient;
    - top: the largest singular value of W_{l+1}, the most any direction can gain."""
    with torch.enable_grad():
        out, pre = net(x, keep=True)
        grads = torch.autograd.grad(per_model_mse(out, y).sum(), pre)
    rows = []
    for l in range(net.depth - 1):
        W, d = net.weights[l + 1].detach(), grads[l + 1].detach()         # [M, fi, fo], [M, N, fo]
        rows.append(torch.stack([W.flatten(1).norm(dim=1) / math.sqrt(W.shape[2]),
                                 (d @ W.transpose(1, 2)).flatten(1).norm(dim=1) / d.flatten(1).norm(dim=1),
                                 torch.linalg.matrix_norm(W, ord=2)], 1))
    return torch.stack(rows, 1)


@torch.no_grad()
def flat_mass(net: StackedMLP, x_grid: Tensor) -> Tensor:
    """[M, L]: the fraction of (input, unit) pairs of each layer sitting where phi' ~ 0, i.e.
    |phi'(h)| < SATURATION_THRESHOLD of its max (the flat part of the activation)."""
    rows = []
    for h in pre_activations(net, x_grid):
        rows.append(torch.cat([(relative_slope(act, h[s:e]) < SATURATION_THRESHOLD).double().mean(dim=(1, 2))
                               for act, s, e in net.runs]))
    return torch.stack(rows, 1)
