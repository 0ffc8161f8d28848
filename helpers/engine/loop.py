"""The plain per-model training loop: torch.optim + one nn.Module, the code a student would write.

It is the reference that the batched engine (helpers.engine.batched) is tested and benchmarked against;
both feed the same Recorder, so their logs have the same names and meanings.
"""
from __future__ import annotations

import math

import torch

from ..core.config import BatchSampler, TrainConfig, pick_device
from ..core.data import Dataset
from ..core.models import MLP, SEED_NET, NetConfig, StackedMLP
from ..core.store import Results
from .recorder import Recorder


def train_loop(activation: str, seed: int, data: Dataset, cfg: TrainConfig, net: NetConfig = SEED_NET,
               device: str = "cpu") -> Results:
    """Train one MLP with torch.optim, one step per mini-batch, in cfg.dtype; the Recorder's results (M = 1)."""
    if data.task != "regression":
        raise ValueError(f"the plain loop is the reference for regression (MSE) only, got a {data.task} dataset; "
                         "train it with helpers.engine.batched.train_batched")
    dev, dtype = pick_device(device), cfg.torch_dtype
    model = MLP(activation, net, seed, dtype).to(dev)
    d = data.to(dev, dtype)
    opt = (torch.optim.Adam(model.parameters(), lr=cfg.lr, eps=cfg.adam_eps) if cfg.optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum))
    rec, sampler = Recorder(cfg, d, 1, net.depth, net.width), BatchSampler([seed], len(d.x), cfg.batch_size)
    alive = torch.ones(1, dtype=torch.bool)
    probe = lambda: StackedMLP.from_modules([model]) # (probes read a stacked copy)
    rec.end_of_epoch(0, probe(), alive)
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        total = 0.0
        for i, idx in enumerate(sampler.epoch()):
            xb, yb = d.x[idx[0]], d.y[idx[0]]
            rec.measure_first_step(step, probe(), xb, yb, alive)
            loss = ((model(xb) - yb) ** 2).mean()
            if not torch.isfinite(loss):
                break
            opt.zero_grad()
            loss.backward()
            before = probe().flat if (i == 0 and rec.wants_update(epoch)) else None
            opt.step()
            if before is not None:
                rec.update(epoch, probe(), before, alive)
            total += loss.item() * len(xb) / len(d.x)
            step += 1
        test = rec.end_of_epoch(epoch, probe(), alive) if torch.isfinite(loss) else None
        if not (math.isfinite(total) and torch.isfinite(loss) and (test is None or torch.isfinite(test))):
            rec.diverged(torch.tensor([0]), epoch)
            alive[:] = False
            break
        rec.curves(epoch, torch.tensor([total], dtype=torch.float64), test, alive)
    return rec.finish(probe(), alive)
