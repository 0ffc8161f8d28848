"""Training configuration, mini-batch order, and the plain per-model loop (the reference).

The plain loop (`train_loop`) is torch.optim + one nn.Module: the code a student would write, kept
as the reference that the batched engine (helpers.batched) is tested and benchmarked against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .data import Dataset
from .models import MLP, StackedMLP
from .recorder import Recorder
from .store import Results

OPTIMIZERS = ("adam", "sgd")
SHUFFLE_SEED_OFFSET = 10_007  # batch order of seed s comes from generator(s + offset), not init's stream


@dataclass(frozen=True)
class TrainConfig:
    """How to train, and when to measure. Epoch 0 means "at initialisation"."""

    epochs: int = 500
    lr: float = 1e-3
    batch_size: int | None = None  # None: full batch, one step per epoch; 32: shuffled mini-batches
    optimizer: str = "adam"
    adam_eps: float = 1e-8
    momentum: float = 0.0         # SGD only
    record_epochs: tuple[int, ...] = (0, 1, 10, 50, 100, 200)  # + the last epoch, always
    grad_epochs: tuple[int, ...] = (0, 1, 100, 200)             # + the last epoch, always
    grad_every: int | None = 10   # + every n-th epoch (cheap: one full-batch backward pass each)
    first_steps: int = 10         # gradient probes on the first training mini-batches
    test_every: int = 10          # test MSE (a forward pass on the dense grid) every n epochs + the last
    states_every: int | None = 25  # unit states (on/off/dead) every n epochs, at init and at the end
    probe_layers: tuple[int, ...] | None = None  # hidden layers to log; None: first, middle, last;
                                                 # (): none (sweeps of many models stay small)

    def __post_init__(self):
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be a whole number >= 1, got {self.epochs!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"learning rate must be a positive number, got {self.lr!r}")
        if self.batch_size is not None and (not isinstance(self.batch_size, int) or self.batch_size < 1):
            raise ValueError(f"batch_size must be a whole number >= 1 or None (full batch), "
                             f"got {self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid choices: {', '.join(OPTIMIZERS)}")
        for name in ("grad_every", "states_every"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be a whole number >= 1 or None, got {v!r}")
        if self.grad_every is not None and (not isinstance(self.grad_every, int) or self.grad_every < 1):
            raise ValueError(f"grad_every must be a whole number >= 1 or None, got {self.grad_every!r}")
        if not isinstance(self.test_every, int) or self.test_every < 1:
            raise ValueError(f"test_every must be a whole number >= 1, got {self.test_every!r}")
        if self.first_steps < 0:
            raise ValueError(f"first_steps must be >= 0, got {self.first_steps}")

    def when(self, epochs: tuple[int, ...]) -> tuple[int, ...]:
        """The requested epochs that exist in this run, plus the last one."""
        return tuple(sorted({e for e in epochs if 0 <= e <= self.epochs} | {self.epochs}))

    def layers(self, depth: int) -> tuple[int, ...]:
        """The hidden layers whose activations are logged."""
        if self.probe_layers is None:
            return tuple(sorted({1, (depth + 1) // 2, depth}))
        bad = [l for l in self.probe_layers if not 1 <= l <= depth]
        if bad:
            raise ValueError(f"probe_layers {bad} outside the hidden layers 1..{depth}")
        return tuple(self.probe_layers)


def pick_device(name: str = "auto") -> torch.device:
    """'auto' is the GPU when one is present, else the CPU; 'cpu' and 'cuda' force one."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {name!r}; valid choices: auto, cpu, cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but torch sees no GPU; use 'auto' or 'cpu'")
    return torch.device(name)


class BatchSampler:
    """Mini-batch order per model: a fresh shuffle each epoch, seeded by the model's seed."""

    def __init__(self, seeds: list[int], n: int, batch_size: int | None):
        self.n, self.bs = n, (n if batch_size is None else min(batch_size, n))
        self.seeds = list(seeds)
        self.gens = {s: torch.Generator().manual_seed(s + SHUFFLE_SEED_OFFSET) for s in set(seeds)}

    @property
    def full_batch(self) -> bool:
        return self.bs == self.n

    def epoch(self) -> list[torch.Tensor]:
        """Index tensors [M, batch] covering every point once (None-free; the last may be shorter)."""
        if self.full_batch:
            return [torch.arange(self.n).expand(len(self.seeds), -1)]
        perms = {s: torch.randperm(self.n, generator=g) for s, g in sorted(self.gens.items())}
        order = torch.stack([perms[s] for s in self.seeds])
        return list(order.split(self.bs, dim=1))


def train_loop(activation: str, seed: int, data: Dataset, cfg: TrainConfig, depth: int = 10,
               width: int = 64, init: str = "torch_default", device: str = "cpu",
               dtype: torch.dtype = torch.float32) -> Results:
    """Train one MLP with torch.optim, one step per mini-batch; the Recorder's results (M = 1)."""
    dev = pick_device(device)
    net = MLP(depth, width, activation, init, seed, dtype).to(dev)
    d = data.to(dev, dtype)
    opt = (torch.optim.Adam(net.parameters(), lr=cfg.lr, eps=cfg.adam_eps) if cfg.optimizer == "adam"
           else torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum))
    rec, sampler = Recorder(cfg, d, 1, depth, width), BatchSampler([seed], len(d.x), cfg.batch_size)
    alive = torch.ones(1, dtype=torch.bool)
    probe = lambda: StackedMLP.from_modules([net])  # noqa: E731  (probes read a stacked copy)
    rec.epoch(0, probe(), alive)
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        total = 0.0
        for i, idx in enumerate(sampler.epoch()):
            xb, yb = d.x[idx[0]], d.y[idx[0]]
            if step < cfg.first_steps:
                rec.first_step(step, probe(), xb, yb, alive)
            loss = ((net(xb) - yb) ** 2).mean()
            if not torch.isfinite(loss):
                break
            opt.zero_grad()
            loss.backward()
            before = probe().flat if (i == 0 and rec.tracks_update(epoch)) else None
            opt.step()
            if before is not None:
                rec.record_update(epoch, probe(), before, alive)
            total += loss.item() * len(xb) / len(d.x)
            step += 1
        test = rec.test_mse(epoch, probe())
        if not (math.isfinite(total) and torch.isfinite(loss) and (test is None or torch.isfinite(test))):
            rec.diverged(torch.tensor([0]), epoch)
            alive[:] = False
            break
        rec.curves(epoch, torch.tensor([total], dtype=torch.float64), test, alive)
        rec.epoch(epoch, probe(), alive)
    return rec.finish(probe(), alive)
