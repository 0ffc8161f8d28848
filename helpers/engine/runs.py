"""Training grids: many models at once (the batched engine), results with named dims.

grid() trains activation x (lr x) seed models of one shape in one batch; stacked() repeats it over
depths or shapes and keeps what every shape shares. Same seed -> same initial weights and batch order
for every activation and learning rate.
"""
from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np

from ..core import activations, store
from ..core.config import TrainConfig
from ..core.data import Dataset, landmarks
from ..core.models import SEED_NET, NetConfig
from .batched import ModelSpec, train_batched


def grid(activation_names: list[str], seeds: list[int], data: Dataset, cfg: TrainConfig,
         net: NetConfig = SEED_NET, lrs: list[float] | None = None, device: str = "auto", progress: bool = False,
         weight_scale: dict[str, float] | None = None) -> store.Results:
    """Train activation x (lr x) seed models of the network `net` at once; dims ("activation", ["lr",] "seed", ...).
    weight_scale: activation -> multiplier of its initial weights (e.g. to its critical sigma_w^2)."""
    names = [activations.get(a).name for a in activation_names]
    if not seeds:
        raise ValueError("need at least one seed")
    axes = {"activation": names, "lr": [float(lr) for lr in lrs] if lrs else [cfg.lr], "seed": list(seeds)}
    for lr in axes["lr"]:
        replace(cfg, lr=lr)  # validates each learning rate with TrainConfig's own message
    scale = {activations.get(a).name: float(k) for a, k in (weight_scale or {}).items()}
    specs = [ModelSpec(a, s, lr, scale.get(a, 1.0)) for a in names for lr in axes["lr"] for s in axes["seed"]]
    res = train_batched(specs, data, cfg, net, device, progress=progress)
    if not lrs:
        axes.pop("lr")
    config = dict(data=data.describe(), **asdict(net), train=asdict(cfg),
                  landmarks=landmarks(data))
    if scale:
        config["weight_scale"] = scale
    return unstack(res, axes, config)


def unstack(res: store.Results, axes: dict[str, list], config: dict) -> store.Results:
    """Split the "model" dim into the named axes (in order; the model index runs fastest on the last)."""
    sizes = tuple(len(v) for v in axes.values())
    arrays = {k: a.reshape(sizes + a.shape[1:]) for k, a in res.arrays.items()}
    dims = {k: tuple(axes) + d[1:] for k, d in res.dims.items()}
    return store.Results(arrays, dims, {**res.coords, **axes},
                         {**res.meta, "config": config, "versions": store.versions()})


def stacked(parts: list[store.Results], dim: str, values: list, keep: tuple[str, ...]) -> store.Results:
    """Results of the same grid at several values of `dim` (e.g. depth) as one, with `dim` first;
    only the arrays in `keep`. Arrays whose sizes differ between parts (a "layer" dim across depths)
    are padded with NaN to the largest, and that dim's coordinates are the largest part's."""
    first = parts[0]
    arrays = {k: np.stack(_pad([p[k] for p in parts])) for k in keep}
    dims = {k: (dim,) + first.dims[k] for k in keep}
    used = {d for k in keep for d in first.dims[k]}
    coords = {d: max((p.coords[d] for p in parts), key=len) for d in first.coords if d in used}
    coords[dim] = list(values)
    meta = {**first.meta, "config": {**first.meta["config"], dim: list(values)}}
    return store.Results(arrays, dims, coords, meta)


def _pad(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Pad arrays of equal rank with NaN (or -1 for integers) to a common shape."""
    shape = tuple(max(s) for s in zip(*(a.shape for a in arrays)))
    out = []
    for a in arrays:
        if a.shape == shape:
            out.append(a)
            continue
        fill = -1 if np.issubdtype(a.dtype, np.integer) else np.nan
        b = np.full(shape, fill, dtype=a.dtype)
        b[tuple(slice(0, n) for n in a.shape)] = a
        out.append(b)
    return out


def concat(parts: list[store.Results], dim: str) -> store.Results:
    """Results that differ only in the coordinates of `dim` (e.g. one activation each) as one."""
    first = parts[0]
    arrays = {k: np.concatenate([p[k] for p in parts], axis=first.dims[k].index(dim)) if dim in first.dims[k]
              else first[k] for k in first.arrays}
    coords = {**first.coords, dim: [v for p in parts for v in p.coords[dim]]}
    return store.Results(arrays, dict(first.dims), coords, dict(first.meta))


def take(res: store.Results, dim: str, values: list) -> store.Results:
    """The results at the given coordinates of `dim` only."""
    idx = [res.index(dim, v) for v in values]
    arrays = {k: np.take(a, idx, axis=res.dims[k].index(dim)) if dim in res.dims[k] else a
              for k, a in res.arrays.items()}
    return store.Results(arrays, dict(res.dims), {**res.coords, dim: list(values)}, dict(res.meta))
