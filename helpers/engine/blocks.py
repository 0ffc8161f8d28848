"""Normalisation and residual connections on the stacked MLP (chapter 10), trained with autograd.

The batched engine's hand-written backward pass knows only Linear -> activation; these variants run the
same stacked weights (StackedMLP, one bmm for all models) through PyTorch's autograd instead, with the
same Adam (batched.FlatOptimizer), full-batch data and seeds. "plain" is the book's MLP: trained here it
matches the engine (tests/test_blocks.py), which is what makes the variants comparable with it.

Hidden layer l = 1..L, h_l = W_l a_{l-1} + b_l, u_l = the argument of phi (what "pre-activation",
||dL/dh_l|| and the unit states refer to in this module):
- plain:               a_l = phi(h_l)                               u_l = h_l
- layernorm:           a_l = phi(LN(h_l))   LN over a layer's units, per input    u_l = LN(h_l)
- batchnorm:           a_l = phi(BN(h_l))   BN over the inputs, per unit          u_l = BN(h_l)
- residual:            a_l = a_{l-1} + phi(h_l)            (l >= 2)             u_l = h_l
- residual_layernorm:  a_l = a_{l-1} + phi(W_l LN(a_{l-1}) + b_l)  (l >= 2, pre-norm)
Layer 1 maps the input to the width and has no skip. LN and BN have a learned gain (init 1) and shift (init 0)
per unit and eps 1e-5 (PyTorch's). BatchNorm normalises with the training inputs' statistics, also when
evaluating on other inputs (full batch: what its running averages converge to).
"""
from __future__ import annotations

import warnings
from dataclasses import asdict

import numpy as np
import torch
from torch import Tensor

from ..core import activations, store
from ..core.config import TrainConfig
from ..core.data import Dataset, landmarks
from ..core.models import SEED_NET, NetConfig, StackedMLP
from . import probes
from .batched import FlatOptimizer

VARIANTS = ("plain", "layernorm", "batchnorm", "residual", "residual_layernorm")
EPS = 1e-5


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; valid choices: {', '.join(VARIANTS)}")
    return variant


class BlockStack:
    """M networks of one variant: the StackedMLP's weights plus, with a norm, a gain and shift per hidden
    layer, all in one [M, P] buffer (so FlatOptimizer steps them as it steps the engine's)."""

    def __init__(self, variant: str, mlp: StackedMLP):
        self.variant, self.depth, self.M = check_variant(variant), mlp.depth, mlp.M
        self.norm = "layer" if "layernorm" in variant else "batch" if variant == "batchnorm" else None
        P, W = mlp.flat.shape[1], mlp.width
        self.flat = torch.cat([mlp.flat, torch.zeros(mlp.M, 2 * mlp.depth * W if self.norm else 0,
                                                     dtype=mlp.flat.dtype)], 1)
        self.grad = torch.zeros_like(self.flat)
        self.net = StackedMLP([a.name for a in mlp.acts], self.flat[:, :P], mlp.depth, W, copy=False)
        self._mlp_grad = self.grad[:, :P]   # autograd fills self.net.grad; step() reads it from here
        if self.norm:  # gain and shift of layer l: views into flat, their .grad views into grad
            v, g = (t[:, P:].view(mlp.M, mlp.depth, 2, 1, W) for t in (self.flat, self.grad))
            v[:, :, 0] = 1.0
            self.gain, self.shift = v[:, :, 0], v[:, :, 1]
            for p, pg in ((self.gain, g[:, :, 0]), (self.shift, g[:, :, 1])):
                p.requires_grad_(True)
                p.grad = pg

    def zero_grad(self) -> None:
        self.grad.zero_()
        self.net.grad.zero_()

    def collect_grad(self) -> None:
        self._mlp_grad.copy_(self.net.grad)

    def _normalise(self, h: Tensor, l: int, n_ref: int) -> Tensor:
        dim = 2 if self.norm == "layer" else 1
        ref = h if self.norm == "layer" else h[:, :n_ref]
        mean, var = ref.mean(dim, keepdim=True), ref.var(dim, unbiased=False, keepdim=True)
        return (h - mean) / torch.sqrt(var + EPS) * self.gain[:, l] + self.shift[:, l]

    def forward(self, x: Tensor, ref: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        """x [N, 1] -> (outputs [M, N, 1], u_1..u_L [M, N, width]). ref: the inputs whose statistics
        BatchNorm uses (default x itself)."""
        xs = x if ref is None else torch.cat([ref, x])
        n_ref = len(xs) if ref is None else len(ref)
        a, us = xs.expand(self.M, *xs.shape), []
        residual = self.variant.startswith("residual")
        for l, (w, b) in enumerate(zip(self.net.weights[:-1], self.net.biases[:-1])):
            skip = residual and l > 0
            u = torch.baddbmm(b, self._normalise(a, l, n_ref) if skip and self.norm else a, w)
            if self.norm and not residual:
                u = self._normalise(u, l, n_ref)
            us.append(u)
            a = a + self.net.activate(u) if skip else self.net.activate(u)
        out = torch.baddbmm(self.net.biases[-1], a, self.net.weights[-1])
        return (out, us) if ref is None else (out[:, n_ref:], [u[:, n_ref:] for u in us])


def train(variant: str, activation_names: list[str], seeds: list[int], data: Dataset, cfg: TrainConfig,
          net: NetConfig = SEED_NET, lrs: list[float] | None = None, weight_scale: float = 1.0) -> store.Results:
    """Train activation x (lr x) seed networks of one variant at once, full batch, in float64.
    Logs (dims activation, [lr,] seed, ...): loss [epoch] (train MSE before each step), final_train_mse,
    final_test_mse, diverged_epoch (-1: never), grad_h [grad_epoch, layer] (||dL/du_l|| over the 200 inputs,
    after the epoch), unit_states [state_epoch, layer, unit_state] (probes.unit_states' definitions, on u_l
    over the dense test grid) and pred [record_epoch, x_wide] (the network's output on [-2 pi, 2 pi]), both at
    init and at the end."""
    if cfg.batch_size is not None or cfg.optimizer != "adam":
        raise ValueError("the variants train full batch with Adam only")
    names = [activations.get(a).name for a in activation_names]
    lr_axis = [float(v) for v in lrs] if lrs else [cfg.lr]
    rows = [(a, lr, s) for a in names for lr in lr_axis for s in seeds]
    d = data.to("cpu", torch.float64)
    mlp = StackedMLP.from_seeds([r[0] for r in rows], [r[2] for r in rows], net, dtype=torch.float64,
                                weight_scale=weight_scale)
    depth, stack = net.depth, BlockStack(variant, mlp)
    opt = FlatOptimizer(stack, [r[1] for r in rows], cfg)
    M, grad_epochs, state_epochs = len(rows), cfg.when(cfg.log.grad_epochs), (0, cfg.epochs)
    logs = {"loss": np.full((M, cfg.epochs + 1), np.nan), "grad_h": np.full((M, len(grad_epochs), depth), np.nan),
            "unit_states": np.full((M, 2, depth, len(probes.UNIT_STATES)), np.nan),
            "pred": np.full((M, 2, len(d.x_wide)), np.nan, dtype=np.float32)}
    diverged = np.full(M, -1)
    alive = torch.ones(M, dtype=torch.bool)

    def states(i: int) -> None:   # and the learned function on [-2 pi, 2 pi]
        live = alive.numpy()
        with torch.no_grad():
            us = stack.forward(d.x_test, ref=d.x)[1]
            logs["pred"][live, i] = stack.forward(d.x_wide, ref=d.x)[0][live, :, 0].numpy()
        logs["unit_states"][live, i] = probes.unit_states(stack.net, d.x_test, us)[0].numpy()[live]

    states(0)
    for epoch in range(cfg.epochs + 1):   # the loss and gradient at the parameters after `epoch` steps
        stack.zero_grad()
        out, us = stack.forward(d.x)
        for u in us:
            u.retain_grad()
        losses = probes.per_model_mse(out, d.y)
        bad = alive & ~torch.isfinite(losses.detach())
        if bad.any():
            diverged[bad.numpy()] = min(epoch + 1, cfg.epochs)   # the engine's count: epoch e's loss is before step e
            alive &= ~bad
            opt.freeze(bad)
        with warnings.catch_warnings():   # gradients go into strided views of one buffer, on purpose
            warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")
            losses.masked_fill(~alive, 0.0).sum().backward()
        logs["loss"][alive.numpy(), epoch] = losses.detach()[alive].numpy()
        if epoch in grad_epochs:
            g = torch.stack([u.grad.flatten(1).norm(dim=1) for u in us], 1)
            logs["grad_h"][alive.numpy(), grad_epochs.index(epoch)] = g[alive].numpy()
        if epoch == cfg.epochs:
            break
        stack.collect_grad()
        opt.step()
    states(1)
    with torch.no_grad():
        final_test = probes.per_model_mse(stack.forward(d.x_test, ref=d.x)[0], d.y_test)
    final = {"final_train_mse": np.where(alive.numpy(), logs["loss"][:, -1], np.nan),
             "final_test_mse": np.where(alive.numpy(), final_test.numpy(), np.nan)}
    axes = {"activation": names, "lr": lr_axis, "seed": list(seeds)}
    arrays = {"loss": logs["loss"][:, :-1], **final, "diverged_epoch": diverged, "grad_h": logs["grad_h"],
              "unit_states": logs["unit_states"], "pred": logs["pred"]}
    tail = {"loss": ("epoch",), "final_train_mse": (), "final_test_mse": (), "diverged_epoch": (),
            "grad_h": ("grad_epoch", "layer"), "unit_states": ("state_epoch", "layer", "unit_state"),
            "pred": ("record_epoch", "x_wide")}
    if not lrs:
        axes.pop("lr")
    shape = tuple(len(v) for v in axes.values())
    return store.Results({k: a.reshape(shape + a.shape[1:]) for k, a in arrays.items()},
                         {k: tuple(axes) + v for k, v in tail.items()},
                         {**axes, "epoch": list(range(1, cfg.epochs + 1)), "grad_epoch": list(grad_epochs),
                          "state_epoch": list(state_epochs), "record_epoch": list(state_epochs),
                          "x_wide": d.x_wide[:, 0].tolist(), "layer": list(range(1, depth + 1)),
                          "unit_state": list(probes.UNIT_STATES)},
                         {"config": dict(variant=variant, **asdict(net), train=asdict(cfg),
                                         weight_scale=weight_scale, data=data.describe(),
                                         landmarks=landmarks(data)),
                          "versions": store.versions()})
