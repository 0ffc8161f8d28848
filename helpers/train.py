"""Training configuration, what gets recorded, and the plain per-model loop (the reference).

The plain loop (`train_loop`) is torch.optim + one nn.Module: the code a student would write, kept
as the reference that the batched engine (helpers.batched) is tested and benchmarked against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from . import probes
from .data import Dataset
from .models import MLP, StackedMLP
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


class Recorder:
    """Per-epoch curves and probes of M models, as numpy arrays with the model axis first."""

    # name -> (dims after the model axis, units, meaning): the one description of every log
    ARRAYS = {
        "loss": (("epoch",), "MSE", "train loss of the epoch: mean of the batch losses the optimizer "
                 "saw (full batch: the loss just before the epoch's step), against the noisy targets"),
        "test_mse": (("test_epoch",), "MSE", "after the epoch, against the clean function on the dense grid"),
        "grad_w": (("grad_epoch", "layer"), "mean |dL/dW_l|", "full-batch train loss, after the epoch "
                   "(0: at init); layer l = 1..L from the input"),
        "grad_h": (("grad_epoch", "layer"), "||dL/dh_l||", "Frobenius norm over the 200 inputs x units "
                   "of the gradient w.r.t. the pre-activations h_l, full-batch loss"),
        "update_ratio": (("grad_epoch", "layer"), "||dW_l|| / ||W_l||", "size of the first optimizer step "
                         "of the epoch relative to the weights (Karpathy's update-to-weight ratio; NaN at 0)"),
        "grad_w_steps": (("step", "layer"), "mean |dL/dW_l|", "loss of the batch of training step k, "
                         "before its update (step 1 = the first batch)"),
        "grad_h_steps": (("step", "layer"), "||dL/dh_l||", "as grad_h, for the batch of step k"),
        "unit_states": (("state_epoch", "layer", "unit_state"), "fraction",
                        "active / dead / saturated / off fractions of layer l on the dense grid"),
        "unit_active": (("state_epoch", "layer", "unit"), "fraction",
                        "per unit: the fraction of the dense grid's inputs at which it is on (0: off)"),
        "hidden": (("record_epoch", "probe_layer", "x_hidden", "unit"), "a = phi(h)",
                   "hidden activations of the probe layers on a 100-point grid"),
        "hidden_pre": (("record_epoch", "probe_layer", "x_hidden", "unit"), "h",
                       "pre-activations of the probe layers on the same grid"),
        "pred": (("record_epoch", "x_wide"), "f(x)", "network output on [-2 pi, 2 pi]"),
        "diverged_epoch": ((), "epoch", "epoch at which the loss turned non-finite; -1: never"),
        "final_train_mse": ((), "MSE", "full-batch train MSE after the last epoch (noisy targets)"),
        "final_test_mse": ((), "MSE", "test MSE after the last epoch (clean function, dense grid)"),
        "final_params": (("param",), "-", "final weights, models.flatten order (NaN: diverged)"),
    }

    def __init__(self, cfg: TrainConfig, data: Dataset, M: int, depth: int, width: int):
        self.cfg, self.data = cfg, data
        every = tuple(range(cfg.grad_every, cfg.epochs + 1, cfg.grad_every)) if cfg.grad_every else ()
        self.rec_epochs, self.grad_epochs = cfg.when(cfg.record_epochs), cfg.when(cfg.grad_epochs + every)
        every = tuple(range(cfg.states_every, cfg.epochs + 1, cfg.states_every)) if cfg.states_every else ()
        self.state_epochs = cfg.when((0,) + every)
        self.test_epochs = cfg.when(tuple(range(cfg.test_every, cfg.epochs + 1, cfg.test_every)))
        self.layers, self.depth = cfg.layers(depth), depth
        self.x_hidden = data.x_test[::10]
        nan = lambda *shape, dtype=np.float64: np.full(shape, np.nan, dtype)  # noqa: E731
        E, R, G, S = cfg.epochs, len(self.rec_epochs), len(self.grad_epochs), len(self.state_epochs)
        P = len(self.layers)
        self.out = {
            "loss": nan(M, E), "test_mse": nan(M, len(self.test_epochs)),
            "grad_w": nan(M, G, depth), "grad_h": nan(M, G, depth), "update_ratio": nan(M, G, depth),
            "grad_w_steps": nan(M, cfg.first_steps, depth), "grad_h_steps": nan(M, cfg.first_steps, depth),
            "unit_states": nan(M, S, depth, len(probes.UNIT_STATES)),
            "unit_active": nan(M, S, depth, width, dtype=np.float32),
            "hidden": nan(M, R, P, len(self.x_hidden), width, dtype=np.float32),
            "hidden_pre": nan(M, R, P, len(self.x_hidden), width, dtype=np.float32),
            "pred": nan(M, R, len(data.x_wide), dtype=np.float32),  # both for plots: float32 is plenty
            "diverged_epoch": np.full(M, -1),
        }

    def coords(self) -> dict[str, list]:
        """What each index of the non-model dims means."""
        return {"epoch": list(range(1, self.cfg.epochs + 1)), "test_epoch": list(self.test_epochs),
                "grad_epoch": list(self.grad_epochs), "record_epoch": list(self.rec_epochs),
                "state_epoch": list(self.state_epochs),
                "layer": list(range(1, self.depth + 1)), "step": list(range(1, self.cfg.first_steps + 1)),
                "unit_state": list(probes.UNIT_STATES), "probe_layer": list(self.layers),
                "x_hidden": self.x_hidden[:, 0].double().cpu().tolist(),
                "x_wide": self.data.x_wide[:, 0].double().cpu().tolist()}

    def _put(self, key: str, index: tuple, value: torch.Tensor, alive: torch.Tensor) -> None:
        v = value.detach().double().cpu().numpy()
        v[~alive.cpu().numpy()] = np.nan  # a diverged model's probes are not measurements
        self.out[key][(slice(None),) + index] = v

    def first_step(self, step: int, net: StackedMLP, xb, yb, alive) -> None:
        if step < self.cfg.first_steps:
            gw, gh = probes.layer_gradients(net, xb, yb)
            self._put("grad_w_steps", (step,), gw, alive)
            self._put("grad_h_steps", (step,), gh, alive)

    def tracks_update(self, epoch: int) -> bool:
        """Whether the first step of this epoch is measured (record_update)."""
        return epoch >= 1 and epoch in self.grad_epochs

    def record_update(self, epoch: int, net: StackedMLP, before: torch.Tensor, alive) -> None:
        """||W_l(after) - W_l(before)|| / ||W_l(before)|| per hidden layer for one optimizer step."""
        after, prior = net.weight_views(net.flat.detach())[:-1], net.weight_views(before)[:-1]
        ratio = torch.stack([(a - b).flatten(1).norm(dim=1) / b.flatten(1).norm(dim=1)
                             for a, b in zip(after, prior)], 1)
        self._put("update_ratio", (self.grad_epochs.index(epoch),), ratio, alive)

    def epoch(self, epoch: int, net: StackedMLP, alive) -> None:
        """Probes due at the end of `epoch` (epoch 0: before training)."""
        d = self.data
        if epoch in self.grad_epochs:
            gw, gh = probes.layer_gradients(net, d.x, d.y)
            i = self.grad_epochs.index(epoch)
            self._put("grad_w", (i,), gw, alive)
            self._put("grad_h", (i,), gh, alive)
        if epoch in self.state_epochs:
            i = self.state_epochs.index(epoch)
            fractions, per_unit = probes.unit_states(net, d.x_test)
            self._put("unit_states", (i,), fractions, alive)
            self._put("unit_active", (i,), per_unit, alive)
        if epoch in self.rec_epochs:
            i = self.rec_epochs.index(epoch)
            if self.layers:
                pre = probes.pre_activations(net, self.x_hidden)
                self._put("hidden_pre", (i,), torch.stack([pre[l - 1] for l in self.layers], 1), alive)
                self._put("hidden", (i,), torch.stack([net.activate(pre[l - 1]) for l in self.layers], 1),
                          alive)
            with torch.no_grad():
                self._put("pred", (i,), net(d.x_wide)[0][..., 0], alive)

    def test_mse(self, epoch: int, net: StackedMLP) -> torch.Tensor | None:
        """Test MSE [M] against the clean function on the dense grid, if due at this epoch."""
        if epoch not in self.test_epochs:
            return None
        with torch.no_grad():
            return probes.per_model_mse(net(self.data.x_test)[0], self.data.y_test)

    def curves(self, epoch: int, loss: torch.Tensor, test_mse: torch.Tensor | None, alive) -> None:
        self._put("loss", (epoch - 1,), loss, alive)
        if test_mse is not None:
            self._put("test_mse", (self.test_epochs.index(epoch),), test_mse, alive)

    def diverged(self, models: torch.Tensor, epoch: int) -> None:
        self.out["diverged_epoch"][models.cpu().numpy()] = epoch

    def finish(self, net: StackedMLP, alive) -> Results:
        with torch.no_grad():
            self._put_final("final_train_mse", probes.per_model_mse(net(self.data.x)[0], self.data.y), alive)
            self._put_final("final_test_mse", probes.per_model_mse(net(self.data.x_test)[0],
                                                                   self.data.y_test), alive)
        self._put_final("final_params", net.flat.detach(), alive)  # models.flatten order
        docs = {k: {"units": u, "doc": doc} for k, (_, u, doc) in self.ARRAYS.items()}
        return Results(self.out, {k: ("model",) + self.ARRAYS[k][0] for k in self.out},
                       self.coords(), {"arrays": docs})

    def _put_final(self, key, value, alive):
        v = value.double().cpu().numpy()
        v[~alive.cpu().numpy()] = np.nan
        self.out[key] = v


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
