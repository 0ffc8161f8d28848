"""Named, parameterised experiments. Each returns store.Results with named dims."""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from . import activations, store
from .batched import ModelSpec, train_batched
from .data import Dataset, landmarks, make_dataset
from .models import check_init, check_shape
from .train import TrainConfig


def grid(activation_names: list[str], seeds: list[int], data: Dataset, cfg: TrainConfig,
         lrs: list[float] | None = None, depth: int = 10, width: int = 64,
         init: str = "torch_default", device: str = "auto", progress: bool = False) -> store.Results:
    """Train activation x (lr x) seed models at once; dims ("activation", ["lr",] "seed", ...).

    Same seed -> same initial weights and batch order for every activation and learning rate.
    """
    names = [activations.get(a).name for a in activation_names]
    check_shape(depth, width)
    check_init(init)
    if not seeds:
        raise ValueError("need at least one seed")
    axes = {"activation": names, "lr": [float(lr) for lr in lrs] if lrs else [cfg.lr], "seed": list(seeds)}
    for lr in axes["lr"]:
        replace(cfg, lr=lr)  # validates each learning rate with TrainConfig's own message
    specs = [ModelSpec(a, s, lr) for a in names for lr in axes["lr"] for s in axes["seed"]]
    res = train_batched(specs, data, cfg, depth, width, init, device, progress=progress)
    if not lrs:
        axes.pop("lr")
    return _unstack(res, axes, dict(data=data.name, depth=depth, width=width, init=init,
                                    train=asdict(cfg), landmarks=landmarks(data)))


def _unstack(res: store.Results, axes: dict[str, list], config: dict) -> store.Results:
    """Split the "model" dim into the named axes (in order)."""
    sizes = tuple(len(v) for v in axes.values())
    arrays = {k: a.reshape(sizes + a.shape[1:]) for k, a in res.arrays.items()}
    dims = {k: tuple(axes) + d[1:] for k, d in res.dims.items()}
    return store.Results(arrays, dims, {**res.coords, **axes},
                         {**res.meta, "config": config, "versions": store.versions()})


@dataclass(frozen=True)
class Baseline:
    """The seed experiment: 10 x 64 MLP, five activations, Adam/MSE, 500 epochs, several seeds."""

    activations: tuple[str, ...] = activations.SEED_ACTIVATIONS
    seeds: int = 5
    depth: int = 10
    width: int = 64
    init: str = "torch_default"
    train: TrainConfig = field(default_factory=TrainConfig)
    device: str = "auto"

    def __post_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a whole number >= 1, got {self.seeds!r}")
        for a in self.activations:
            activations.get(a)
        check_shape(self.depth, self.width)
        check_init(self.init)


def baseline(cfg: Baseline = Baseline(), progress: bool = False, cache: bool = True) -> store.Results:
    """Run the seed experiment (all models at once), or load it if this exact configuration and
    code already ran (the CLI and chapter 1 share the run)."""
    def run() -> store.Results:
        return grid(list(cfg.activations), list(range(cfg.seeds)), make_dataset(), cfg.train,
                    depth=cfg.depth, width=cfg.width, init=cfg.init, device=cfg.device, progress=progress)
    return cached("baseline", asdict(cfg), run) if cache else run()


def cache_path(name: str, key: dict, folder: str | Path | None = None) -> Path:
    """Where cached(name, key) keeps its result: the key hashes the parameters and the source of
    helpers/, so editing the code recomputes. The folder is `folder`, else $HELPERS_CACHE_DIR, else
    .cache/ at the repository root. CI starts from a clean clone, so it always recomputes."""
    from . import REPO
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode())
    for f in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f.read_bytes())
    return Path(folder or os.environ.get("HELPERS_CACHE_DIR") or REPO / ".cache") / \
        f"{name}-{digest.hexdigest()[:16]}.npz"


def cached(name: str, key: dict, compute: Callable[[], store.Results],
           folder: str | Path | None = None) -> store.Results:
    """compute() once per (name, key, helpers source); later calls load the file it wrote."""
    path = cache_path(name, key, folder)
    if path.exists():
        return store.load(path)
    res = compute()
    store.save(res, path)
    return res


def mean_std(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over seeds, ignoring diverged (NaN) models."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every seed diverged: NaN, not a warning
        return np.nanmean(x, axis=axis), np.nanstd(x, axis=axis)
