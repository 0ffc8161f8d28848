"""Many MLPs trained as one: stacked weights, batched matmuls, a hand-written backward pass.

Adam and SGD act elementwise, and the summed loss sum_m L_m has d/d(theta_m) = dL_m/d(theta_m), so
training the stack is mathematically the same as training each model alone (tests/test_batched.py
checks it against the plain loop in float64). Models may differ in activation, seed and learning
rate. The backward pass is backprop written out, the product of Jacobians W_l^T diag(phi'(h_l)):
no autograd graph, gradients written straight into the flat gradient buffer.
"""
from __future__ import annotations

import ctypes
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from .data import Dataset
from .models import StackedMLP
from .store import Results
from .recorder import Recorder
from .train import BatchSampler, TrainConfig, pick_device


# A model's readout bias is an [M, 1, 1] view with row stride P: autograd (used by the probes)
# warns that such a .grad "does not obey the layout contract"; it still accumulates correctly.
warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")


def _keep_freed_memory() -> None:
    """Ask glibc not to hand each freed ~1 MB activation back to the OS: re-faulting those pages
    on every allocation cost a third of the training time (benchmarks/bench_baseline.py)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


_keep_freed_memory()


@dataclass(frozen=True)
class ModelSpec:
    """One model of a batch: its activation, its seed (init and batch order) and learning rate."""

    activation: str
    seed: int
    lr: float | None = None  # None: the TrainConfig's lr


@torch.no_grad()
def loss_and_grad(net: StackedMLP, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-model MSE [M] on (x, y); writes d(MSE_m)/d(theta_m) into net.grad (overwriting it)."""
    W, b = [w.detach() for w in net.weights], [v.detach() for v in net.biases]
    gW, gb = [w.grad for w in net.weights], [v.grad for v in net.biases]
    a = [x.expand(net.M, *x.shape) if x.dim() == 2 else x]
    h = []
    for l in range(net.depth):
        h.append(torch.baddbmm(b[l], a[l], W[l]))
        a.append(net.activate(h[l]))
    r = torch.baddbmm(b[-1], a[-1], W[-1]) - y
    losses = (r * r).mean(dim=(1, 2))
    delta = r * (2.0 / r.shape[1])  # dL/d(output)
    for l in range(net.depth, -1, -1):  # delta = dL/dh for layer l+1 (the readout when l = depth)
        gW[l].copy_(torch.bmm(a[l].transpose(1, 2), delta))  # (bmm into a strided view is slower)
        gb[l].copy_(delta.sum(dim=1, keepdim=True))
        if l > 0:
            back = torch.bmm(delta, W[l].transpose(1, 2))  # dL/da_l
            delta = _vjp(net, back, h[l - 1], a[l])          # dL/dh_l = dL/da_l * phi'(h_l)
    return losses


def _vjp(net: StackedMLP, g: torch.Tensor, h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    if len(net.runs) == 1:
        return net.runs[0][0].vjp(g, h, a)
    return torch.cat([act.vjp(g[s:e], h[s:e], a[s:e]) for act, s, e in net.runs])


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
    def freeze(self, models: torch.Tensor) -> None:
        """Stop updating (and zero) the given models: a diverged model is set aside, not NaN."""
        for t in (self.p, self.g, self.m, self.v, self.lr):
            t[models] = 0
        self.live[models.cpu()] = False
        self._regroup()


@contextmanager
def flush_denormals():
    """Treat subnormal floats as 0 inside a training step, where tiny Adam moments would otherwise
    cost many times the arithmetic. Never around probes: there a tiny gradient is a measurement."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def train_batched(specs: list[ModelSpec], data: Dataset, cfg: TrainConfig, depth: int = 10,
                  width: int = 64, init: str = "torch_default", device: str = "auto",
                  dtype: torch.dtype = torch.float32, progress: bool = False) -> Results:
    """Train every spec's model at once; the Recorder's results, dim "model" in specs' order.

    Specs with the same activation should be adjacent (one activation kernel per run of them).
    A model whose loss turns non-finite is marked diverged at that epoch and frozen; the rest go on.
    """
    if not specs:
        raise ValueError("no models to train: specs is empty")
    dev = pick_device(device)
    d = data.to(dev, dtype)
    seeds = [s.seed for s in specs]
    net = StackedMLP.from_seeds([s.activation for s in specs], seeds, depth, width, init, dev, dtype)
    opt = FlatOptimizer(net, [cfg.lr if s.lr is None else s.lr for s in specs], cfg)
    rec, sampler = Recorder(cfg, d, len(specs), depth, width), BatchSampler(seeds, len(d.x), cfg.batch_size)
    alive = torch.ones(len(specs), dtype=torch.bool, device=dev)

    def set_aside(bad: torch.Tensor, epoch: int) -> None:
        rec.diverged(bad.nonzero()[:, 0], epoch)
        alive.logical_and_(~bad)
        opt.freeze(bad)

    rec.epoch(0, net, alive)
    step = 0
    for epoch in tqdm(range(1, cfg.epochs + 1), disable=not progress, desc="epochs", leave=False):
        total = torch.zeros(len(specs), device=dev, dtype=dtype)
        for i, idx in enumerate(sampler.epoch()):
            xb, yb = (d.x, d.y) if sampler.full_batch else (d.x[idx.to(dev)], d.y[idx.to(dev)])
            rec.first_step(step, net, xb, yb, alive)
            with flush_denormals():
                losses = loss_and_grad(net, xb, yb)
                bad = alive & ~torch.isfinite(losses)
                if bad.any():
                    set_aside(bad, epoch)
                    losses = loss_and_grad(net, xb, yb)  # again, without the set-aside models
                before = net.flat.detach().clone() if (i == 0 and rec.tracks_update(epoch)) else None
                opt.step()
            if before is not None:
                rec.record_update(epoch, net, before, alive)
            total += losses * (idx.shape[1] / len(d.x))
            step += 1
        test = rec.test_mse(epoch, net)
        bad = alive & ~torch.isfinite(total if test is None else total + test)
        if bad.any():
            set_aside(bad, epoch)
        rec.curves(epoch, total, test, alive)
        rec.epoch(epoch, net, alive)
    return rec.finish(net, alive)
