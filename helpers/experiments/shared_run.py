"""Shared runs made of cached pieces: how helpers.experiments.registry defines its named experiments. A Run holds its
pieces (label -> computation, each cached on its own so that precompute can spread them over processes) and how
to join them; the kinds here cover most runs: one grid per activation, a depth series per activation, one piece."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Callable

from ..core.config import SWEEP, TrainConfig
from ..core.data import make_dataset
from ..core.models import NetConfig
from ..core.store import Results
from ..engine.runs import concat, grid, stacked
from . import bundle, cache

SEEDS = 5              # every experiment: mean and spread over these
DEPTHS = (2, 5, 10, 20, 30)
SWEEP_LRS = tuple(float(f"{10 ** (k / 2):.3g}") for k in range(-8, 1))   # 1e-4 ... 1, half decades


@dataclass
class Run:
    """A shared run: cached pieces (label -> computation), how to join them, and a rough cost in
    seed-model units (one 10 x 64 model, 500 epochs) for scheduling."""

    pieces: dict[str, Callable[[], Results]]
    join: Callable[[list[Results]], Results] = lambda parts: parts[0]
    cost: float = 1.0
    name: str = ""                # the registry's name for it (set there)
    _joined: Results | None = None

    def __call__(self) -> Results:
        if self._joined is None:
            self._joined = bundle.record(self.join([p() for p in self.pieces.values()]), self.name)
        return self._joined


def grid_piece(name: str, act: str, seeds: list[int], cfg: TrainConfig, data_args: tuple = (), **kw) -> Results:
    data = make_dataset(*data_args)
    key = dict(activation=act, seeds=seeds, train=asdict(cfg), data=data.describe(),
               **{k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()})
    return cache.cached(name, key, lambda: grid([act], seeds, data, cfg, **kw))


def per_activation(name: str, acts, seeds: int, cfg: TrainConfig, cost: float, **kw) -> Run:
    """A grid run cached one activation at a time and joined along "activation"."""
    return Run({a: partial(grid_piece, name, a, list(range(seeds)), cfg, **kw) for a in acts},
               lambda parts: concat(parts, "activation"), cost)


DEPTH_KEEP = ("loss", "final_train_mse", "final_test_mse", "diverged_epoch", "unit_states", "grad_h", "pred")


def depth_series(name: str, act: str, lrs, seeds: int, cfg: TrainConfig, depths) -> Results:
    def run():
        parts = [grid([act], list(range(seeds)), make_dataset(), cfg, NetConfig(d), lrs=list(lrs)) for d in depths]
        return stacked(parts, "depth", list(depths), DEPTH_KEEP)
    return cache.cached(name, dict(activation=act, lrs=list(lrs), seeds=seeds, depths=list(depths),
                                   train=asdict(cfg), keep=DEPTH_KEEP), run)


def by_depth(name: str, acts, lrs, depths=DEPTHS, seeds: int = SEEDS, **train) -> Run:
    cfg = TrainConfig(**train, log=SWEEP)
    cost = len(lrs) * seeds * sum(depths) / 10
    return Run({a: partial(depth_series, name, a, lrs, seeds, cfg, depths) for a in acts},
               lambda parts: concat(parts, "activation"), cost)


def one(name: str, key: dict, fn: Callable[[], Results], cost: float, modules: tuple[str, ...] = ()) -> Run:
    return Run({name: partial(cache.cached, name, key, fn, modules=modules)}, cost=cost)
