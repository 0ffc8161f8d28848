"""Backpropagation on a page: the reference the batched engine (helpers.engine.batched) is tested against, written
the way chapter 2 derives it. One network, MSE, plain tensors; no autograd, no buffers, no fused kernels."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..core import activations


@dataclass
class Gradients:
    """dL/dW_l and dL/db_l for every layer (hidden 1..L, then the readout), and per hidden layer
    l = 1..L the two magnitudes the book plots: mean |dL/dW_l| and ||dL/dh_l||."""

    dW: list[Tensor]
    db: list[Tensor]
    grad_w: Tensor     # [L]
    grad_h: Tensor     # [L]


def backward(params: list[tuple[Tensor, Tensor]], activation: str, x: Tensor, y: Tensor) -> Gradients:
    """Gradients of L = mean((z - y)^2) for the MLP h_l = a_{l-1} W_l + b_l, a_l = phi(h_l), z = a_L W + b,
    with params [(W_l [fan_in, fan_out], b_l)] as helpers.core.models.init_params makes them; x [N, 1], y [N, 1]."""
    act = activations.get(activation)
    a, hs = [x], []
    for W, b in params[:-1]:                       # forward, keeping every h_l and a_l
        hs.append(a[-1] @ W + b)
        a.append(act.fn(hs[-1]))
    z = a[-1] @ params[-1][0] + params[-1][1]
    delta = 2 * (z - y) / z.numel()                # dL/dz
    dW, db, grad_h = [], [], []
    for l in range(len(params) - 1, -1, -1):       # from the readout down to layer 1
        dW.insert(0, a[l].T @ delta)               # dL/dW_l = a_{l-1}^T delta_l
        db.insert(0, delta.sum(0))
        if l > 0:                                  # delta_{l-1} = (delta_l W_l^T) * phi'(h_{l-1})
            delta = (delta @ params[l][0].T) * act.derivative(hs[l - 1])
            grad_h.insert(0, delta.norm())         # ||dL/dh_{l-1}||, hidden layer l (counted from 1)
    return Gradients(dW, db, torch.stack([g.abs().mean() for g in dW[:-1]]), torch.stack(grad_h))
