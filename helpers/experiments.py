"""Named, parameterised experiments. Each returns store.Results with named dims."""
from __future__ import annotations

import hashlib
import json
import os
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
    for f in sorted(Path(__file__).parent.rglob("*.py")):
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


# Init schemes for the depth sweep: name -> (init, weight_scale). "kaiming x1.5" pushes ReLU past
# criticality (sigma_w^2 = 4.5): the exploding case.
INIT_CASES = {"torch_default": ("torch_default", 1.0), "xavier": ("xavier", 1.0),
              "kaiming": ("kaiming", 1.0), "kaiming x1.5": ("kaiming", 1.5)}


def init_sweep(activation_names: list[str], depths: list[int], seeds: list[int], data: Dataset,
               cases: dict[str, tuple[str, float]] = INIT_CASES, width: int = 64) -> store.Results:
    """Per-layer gradients at initialisation (no training), in float64, across depth and init.

    grad_h / grad_w [case, activation, depth, seed, layer]: ||dL/dh_l|| and mean |dL/dW_l| of the
    full-batch loss, NaN beyond each network's depth; theory_h [case, activation, depth, layer]: the
    mean-field prediction of ||dL/dh_l|| / ||dL/dh_L||.
    """
    import torch

    from .models import StackedMLP
    from .probes import layer_gradients
    from .theory import mean_field
    names = [activations.get(a).name for a in activation_names]
    shape = (len(cases), len(names), len(depths), len(seeds), max(depths))
    grad_h, grad_w = np.full(shape, np.nan), np.full(shape, np.nan)
    theory_h = np.full((len(cases), len(names), len(depths), max(depths)), np.nan)
    x, y = data.x.double(), data.y.double()
    for c, (init, scale) in enumerate(cases.values()):
        for a, name in enumerate(names):
            gains = mean_field(name, max(depths), width, init, scale).gain
            for d, depth in enumerate(depths):
                theory_h[c, a, d, :depth] = np.append(np.cumprod(gains[:depth - 1][::-1])[::-1], 1.0)
        for d, depth in enumerate(depths):
            net = StackedMLP.from_seeds([n for n in names for _ in seeds], list(seeds) * len(names), depth,
                                        width, init, dtype=torch.float64, weight_scale=scale)
            gw, gh = (g.numpy().reshape(len(names), len(seeds), depth) for g in layer_gradients(net, x, y))
            grad_w[c, :, d, :, :depth], grad_h[c, :, d, :, :depth] = gw, gh
    dims = ("case", "activation", "depth", "seed", "layer")
    return store.Results({"grad_h": grad_h, "grad_w": grad_w, "theory_h": theory_h},
                         {"grad_h": dims, "grad_w": dims, "theory_h": dims[:3] + ("layer",)},
                         {"case": list(cases), "activation": names, "depth": list(depths), "seed": list(seeds),
                          "layer": list(range(1, max(depths) + 1))},
                         {"config": {"cases": {k: list(v) for k, v in cases.items()}, "width": width,
                                     "data": data.name}, "versions": store.versions()})


def weight_change(res: store.Results) -> np.ndarray:
    """||W_l(end) - W_l(0)|| / ||W_l(0)|| per hidden layer: how far training moved each layer.

    Works on any grid result (final_params [..., seed, param]); returns [..., seed, layer]."""
    from .models import flatten, init_params, layer_sizes
    cfg = res.meta["config"]
    sizes = layer_sizes(cfg["depth"], cfg["width"])
    init = np.stack([flatten(init_params(s, cfg["depth"], cfg["width"], cfg["init"])).double().numpy()
                     for s in res.coords["seed"]])
    final = res["final_params"]
    out, offset = [], 0
    for fi, fo in sizes[:-1]:
        w = slice(offset, offset + fi * fo)
        out.append(np.linalg.norm(final[..., w] - init[:, w], axis=-1) / np.linalg.norm(init[:, w], axis=-1))
        offset += fi * fo + fo
    return np.stack(out, -1)
