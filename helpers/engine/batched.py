"""Many MLPs trained as one: stacked weights, batched matmuls, a hand-written backward pass.

Adam and SGD act elementwise, and the summed loss sum_m L_m has d/d(theta_m) = dL_m/d(theta_m), so
training the stack is mathematically the same as training each model alone (tests/test_batched.py
checks it against the plain loop, helpers.engine.loop, in float64). Models may differ in activation, seed
and learning rate. The backward pass is backprop written out, the product of Jacobians
W_l^T diag(phi'(h_l)), into buffers allocated once per run: no autograd graph, no temporaries.
With full-batch training the per-layer gradient probes come from that same backward pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from tqdm.auto import tqdm

from ..core.config import BatchSampler, TrainConfig, pick_device
from ..core.data import Dataset
from ..core.models import SEED_NET, NetConfig, StackedMLP
from ..core.store import Results
from ..core.workspace import Workspace
from .recorder import Recorder


@dataclass(frozen=True)
class ModelSpec:
    """One model of a batch: its activation, its seed (init and batch order), learning rate and the
    multiplier of its initial weights (sigma_w^2 scales by its square)."""

    activation: str
    seed: int
    lr: float | None = None  # None: the TrainConfig's lr
    weight_scale: float = 1.0


def _loss_and_delta(z: Tensor, y: Tensor, task: str) -> tuple[Tensor, Tensor]:
    """Per-model loss [k] of the outputs z [k, d_out, N] against y (same layout, or [d_out, N] shared),
    and dL/dz, written over z. Regression: MSE over N x d_out. Classification: softmax cross-entropy
    averaged over N (y one-hot), whose gradient is (softmax(z) - y) / N."""
    n = z.shape[-1]
    if task == "classification":
        lse = torch.logsumexp(z, dim=1, keepdim=True)
        loss = (lse[:, 0] - (z * y).sum(1)).mean(1)
        return loss, z.sub_(lse).exp_().sub_(y).div_(n)
    r = z.sub_(y)
    return (r * r).mean(dim=(1, 2)), r.mul_(2.0 / (n * z.shape[1]))


@torch.no_grad()
def loss_and_grad(net: StackedMLP, x: Tensor, y: Tensor, ws: Workspace | None = None,
                  probe: bool = False, task: str = "regression") -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Per-model loss [M] on (x, y) (MSE, or cross-entropy for task="classification"); writes
    dL_m/d(theta_m) into net.grad (overwriting it).
    x, y: [N, d_in], [N, d_out] shared by all models, or [M, N, ...] (each model its own mini-batch).

    With probe=True also returns, per hidden layer l = 1..L, mean |dL/dW_l| and ||dL/dh_l|| [M, L]
    (the definitions of helpers.engine.probes.layer_gradients), read off this very backward pass."""
    ws = ws or Workspace(net, x.shape[-2])
    ws.check(net, x.shape[-2])
    xt, yt = x.transpose(-1, -2), y.transpose(-1, -2)                # [d_in, N] or [M, d_in, N]
    losses = torch.empty(net.M, dtype=x.dtype, device=x.device)
    grad_w = torch.empty(net.M, net.depth, dtype=x.dtype, device=x.device) if probe else None
    grad_h = torch.empty(net.M, net.depth, dtype=x.dtype, device=x.device) if probe else None
    for c in ws.chunks():
        z = c.forward(xt)
        a = [xt.expand(c.size, *xt.shape) if xt.dim() == 2 else xt[c.start:c.stop]] + c.a   # a_0 = x, a_1..a_L
        losses[c.start:c.stop], delta = _loss_and_delta(z, yt if yt.dim() == 2 else yt[c.start:c.stop], task)  # dL/dz
        for l in range(net.depth, -1, -1):  # delta = dL/dh for layer l+1 (the readout when l = depth)
            if probe and l < net.depth:
                grad_h[c.start:c.stop, l] = delta.flatten(1).norm(dim=1)
            gw = torch.bmm(a[l], delta.transpose(1, 2), out=c.gw[l])   # dL/dW_l [k, fan_in, fan_out]
            c.gw_out[l].copy_(gw)  # (a bmm straight into this strided view is slower)
            torch.sum(delta, dim=2, out=c.gb_out[l])
            if probe and l < net.depth:
                grad_w[c.start:c.stop, l] = gw.abs().mean(dim=(1, 2))
            if l > 0:
                torch.bmm(c.W[l], delta, out=c.back)                      # dL/da_l = W_l delta
                for act, back, h, a_l, out in c.vjp_views[l - 1]:         # dL/dh_l = dL/da_l * phi'(h_l)
                    act.vjp_into(back, h, a_l, out)
                delta = c.dh[l - 1]
    return losses, grad_w, grad_h


class FlatOptimizer:
    """torch.optim.Adam / SGD on the [M, P] parameter buffer, one learning rate per model.

    Adam is PyTorch's fused kernel (the one behind Adam(fused=True)), called once per distinct
    learning rate over that group's rows: one pass over memory instead of a dozen.
    """

    def __init__(self, net: StackedMLP, lrs: list[float], cfg: TrainConfig):
        self.p, self.g, self.cfg = net.flat, net.grad, cfg
        self.lr = torch.tensor(lrs, dtype=self.p.dtype, device=self.p.device).view(-1, 1)
        self.m, self.v = torch.zeros_like(self.p), torch.zeros_like(self.p)
        self.steps = [torch.zeros((), dtype=self.p.dtype, device=self.p.device) for _ in lrs]
        self.live = torch.ones(len(lrs), dtype=torch.bool)
        self._regroup()

    def _regroup(self) -> None:
        lrs = self.lr[:, 0].tolist()
        self.groups = {lr: [m for m in range(len(lrs)) if lrs[m] == lr and self.live[m]] for lr in set(lrs)}

    @torch.no_grad()
    def step(self) -> None:
        if self.cfg.optimizer == "sgd":
            upd = self.g
            if self.cfg.momentum:  # torch.optim.SGD: buf = g at step 1, then momentum * buf + g
                first = bool(self.steps[0] == 0)
                self.m.copy_(self.g) if first else self.m.mul_(self.cfg.momentum).add_(self.g)
                upd = self.m
            self.steps[0] += 1
            self.p.addcmul_(upd, self.lr, value=-1)
            return
        for lr, rows in self.groups.items():
            if not rows:
                continue
            steps = [self.steps[m] for m in rows]
            torch._foreach_add_(steps, 1)
            torch._fused_adam_([self.p[m] for m in rows], [self.g[m] for m in rows],
                               [self.m[m] for m in rows], [self.v[m] for m in rows], [], steps,
                               lr=lr, beta1=0.9, beta2=0.999, weight_decay=0.0,
                               eps=self.cfg.adam_eps, amsgrad=False, maximize=False)

    @torch.no_grad()
    def freeze(self, models: Tensor) -> None:
        """Stop updating (and zero) the given models: a diverged model is set aside, not NaN."""
        for t in (self.p, self.g, self.m, self.v, self.lr):
            t[models] = 0
        self.live[models.cpu()] = False
        self._regroup()


def train_batched(specs: list[ModelSpec], data: Dataset, cfg: TrainConfig, net: NetConfig = SEED_NET,
                  device: str = "auto", progress: bool = False) -> Results:
    """Train every spec's model at once (in cfg.dtype); the Recorder's results, dim "model" in
    specs' order. Specs with the same activation should be adjacent (one kernel call per run of them).
    A model whose loss turns non-finite is marked diverged at that epoch and frozen; the rest go on."""
    if not specs:
        raise ValueError("no models to train: specs is empty")
    dev = pick_device(device)
    d = data.to(dev, cfg.torch_dtype)
    seeds = [s.seed for s in specs]
    mlp = StackedMLP.from_seeds([s.activation for s in specs], seeds, net, dev, cfg.torch_dtype,
                                weight_scale=[s.weight_scale for s in specs], d_in=d.d_in, d_out=d.d_out)
    opt = FlatOptimizer(mlp, [cfg.lr if s.lr is None else s.lr for s in specs], cfg)
    sampler = BatchSampler(seeds, len(d.x), cfg.batch_size)
    full = sampler.full_batch  # then the step's own backward is the full-batch gradient probe
    rec = Recorder(cfg, d, len(specs), net.depth, net.width, probe_gradients=not full)
    alive = torch.ones(len(specs), dtype=torch.bool, device=dev)
    spaces: dict[int, Workspace] = {}

    def grads(xb, yb, probe):
        n = xb.shape[-2]
        if n not in spaces:
            spaces[n] = Workspace(mlp, n)
        return loss_and_grad(mlp, xb, yb, spaces[n], probe, d.task)

    def set_aside(bad: Tensor, epoch: int) -> None:
        rec.diverged(bad.nonzero()[:, 0], epoch)
        alive.logical_and_(~bad)
        opt.freeze(bad)

    rec.end_of_epoch(0, mlp, alive)
    step = 0
    for epoch in tqdm(range(1, cfg.epochs + 1), disable=not progress, desc="epochs", leave=False):
        total = torch.zeros(len(specs), device=dev, dtype=cfg.torch_dtype)
        for i, idx in enumerate(sampler.epoch()):
            if full:
                xb, yb = d.x, d.y
            else:
                xb, yb = d.x[idx.to(dev)], d.y[idx.to(dev)]
                rec.measure_first_step(step, mlp, xb, yb, alive)
            probe = full and (rec.wants_gradients(epoch - 1) or step < cfg.log.first_steps)
            losses, gw, gh = grads(xb, yb, probe)
            bad = alive & ~torch.isfinite(losses)
            if bad.any():
                set_aside(bad, epoch)
            if probe:  # the gradient at the parameters after epoch - 1: its full-batch probe
                rec.gradients(epoch - 1, gw, gh, alive)
                rec.first_step(step, gw, gh, alive)
            before = mlp.flat.detach().clone() if (i == 0 and rec.wants_update(epoch)) else None
            opt.step()
            if before is not None:
                rec.update(epoch, mlp, before, alive)
            total += losses * (idx.shape[1] / len(d.x))
            step += 1
        test = rec.end_of_epoch(epoch, mlp, alive)
        bad = alive & ~torch.isfinite(total if test is None else total + test)
        if bad.any():
            set_aside(bad, epoch)
        rec.curves(epoch, total, test, alive)
    if full:  # the gradient after the last epoch, which no step computed
        losses, gw, gh = grads(d.x, d.y, True)
        rec.gradients(cfg.epochs, gw, gh, alive & torch.isfinite(losses))
    return rec.finish(mlp, alive)
