"""How to train (TrainConfig) and when to measure (Schedule, and the named schedules the book's runs use), on which
device, and in which mini-batch order.

Both training paths, the plain per-model loop (helpers.engine.loop, the reference) and the batched engine
(helpers.engine.batched), take the same TrainConfig and BatchSampler.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

OPTIMIZERS = ("adam", "sgd")
DTYPES = {"float64": torch.float64, "float32": torch.float32}
SHUFFLE_SEED_OFFSET = 10_007  # batch order of seed s comes from generator(s + offset), not init's stream


def _whole(name: str, value, low: int, none_ok: bool = False) -> None:
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}{' or None' if none_ok else ''}, got {value!r}")


@dataclass(frozen=True)
class Schedule:
    """When a run measures. Epoch 0 means "at initialisation"; the last epoch is always measured. The named
    schedules below (FULL, SWEEP, DIGITS, ...) are the ones the book's runs use."""

    record_epochs: tuple[int, ...] = (0, 1, 10, 50, 100, 200)  # hidden activations and predictions
    grad_epochs: tuple[int, ...] = (0, 1, 100, 200)             # full-batch gradient probes
    grad_every: int | None = 10   # + every n-th epoch
    first_steps: int = 10         # gradient probes on the first training mini-batches
    test_every: int = 10          # test loss (a forward pass on the dense grid) every n epochs
    states_every: int | None = 25  # unit states (on/off/dead) every n epochs, and at init
    probe_layers: tuple[int, ...] | None = None  # hidden layers to log; None: first, middle, last;
                                                 # (): none (sweeps of many models stay small)

    def __post_init__(self):
        for name in ("grad_every", "states_every"):
            _whole(name, getattr(self, name), 1, none_ok=True)
        _whole("test_every", self.test_every, 1)
        _whole("first_steps", self.first_steps, 0)

    def layers(self, depth: int) -> tuple[int, ...]:
        """The hidden layers whose activations are logged."""
        if self.probe_layers is None:
            return tuple(sorted({1, (depth + 1) // 2, depth}))
        bad = [l for l in self.probe_layers if not 1 <= l <= depth]
        if bad:
            raise ValueError(f"probe_layers {bad} outside the hidden layers 1..{depth}")
        return tuple(self.probe_layers)


FULL = Schedule()                                          # the seed run: everything chapters 1-3 and 6 plot
SWEEP = Schedule(probe_layers=(), record_epochs=(0,), states_every=50, grad_every=50, test_every=50)  # grids
CURVES = Schedule(probe_layers=(), record_epochs=(0,), states_every=None, grad_every=None)   # losses and the ends
DIGITS = Schedule(record_epochs=(0,), probe_layers=(), grad_epochs=(0, 10, 20), grad_every=None, first_steps=0,
                  test_every=1, states_every=5)            # chapter 8: 50 epochs of 10 steps
DIGITS_SWEEP = Schedule(record_epochs=(0,), probe_layers=(), grad_epochs=(0,), grad_every=None, first_steps=0,
                        test_every=10, states_every=10)


@dataclass(frozen=True)
class TrainConfig:
    """How to train (the optimizer, its steps and the precision) and, in `log`, when to measure.

    dtype: the book trains in float64. Training is chaotic (a plateau escape, a ReLU unit crossing
    zero at a training input), so float32 rounding, which differs between CPUs in the last bits,
    grows into visibly different numbers after 500 epochs; float64 keeps that growth far below the
    spread over seeds (chapter 1 measures both)."""

    epochs: int = 500
    lr: float = 1e-3
    batch_size: int | None = None  # None: full batch, one step per epoch; 32: shuffled mini-batches
    optimizer: str = "adam"
    adam_eps: float = 1e-8
    momentum: float = 0.0         # SGD only
    dtype: str = "float64"
    log: Schedule = FULL

    def __post_init__(self):
        _whole("epochs", self.epochs, 1)
        if not (isinstance(self.lr, (int, float)) and not isinstance(self.lr, bool)
                and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"learning rate must be a positive number, got {self.lr!r}")
        _whole("batch_size", self.batch_size, 1, none_ok=True)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid choices: {', '.join(OPTIMIZERS)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}; valid choices: {', '.join(DTYPES)}")
        if not (isinstance(self.adam_eps, (int, float)) and self.adam_eps >= 0):
            raise ValueError(f"adam_eps must be a number >= 0, got {self.adam_eps!r}")
        if not isinstance(self.log, Schedule):
            raise ValueError(f"log must be a Schedule (e.g. config.SWEEP), got {self.log!r}")

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    def when(self, epochs: tuple[int, ...]) -> tuple[int, ...]:
        """The requested epochs that exist in this run, plus the last one."""
        return tuple(sorted({e for e in epochs if 0 <= e <= self.epochs} | {self.epochs}))

    def every(self, n: int | None) -> tuple[int, ...]:
        """Every n-th epoch of this run (none for None)."""
        return tuple(range(n, self.epochs + 1, n)) if n else ()


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
        """Index tensors [M, batch] covering every point once (the last may be shorter)."""
        if self.full_batch:
            return [torch.arange(self.n).expand(len(self.seeds), -1)]
        perms = {s: torch.randperm(self.n, generator=g) for s, g in sorted(self.gens.items())}
        order = torch.stack([perms[s] for s in self.seeds])
        return list(order.split(self.bs, dim=1))
