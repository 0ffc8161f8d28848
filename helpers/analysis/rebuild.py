"""Networks rebuilt from a results file: the trained ones from their stored weights, or the same
models at initialisation (from their seeds), with the same activation per model."""
from __future__ import annotations

import numpy as np
import torch

from ..core.models import NetConfig, StackedMLP
from ..core.store import Results


def _names(res: Results, shape: tuple[int, ...], fixed: dict, params: str = "final_params") -> np.ndarray:
    """The activation of every model of an array's leading dims `shape` (dims as in `params`)."""
    dims = [d for d in res.dims[params] if d not in fixed][:-1]
    if "activation" not in dims:
        return np.full(shape, fixed["activation"])
    a = dims.index("activation")
    return np.broadcast_to(np.array(res.coords["activation"]).reshape([-1 if i == a else 1 for i in range(len(dims))]),
                           shape)


def trained(res: Results, dtype: torch.dtype = torch.float64, params: str = "final_params",
            depth: int | None = None, width: int | None = None, **where) -> StackedMLP:
    """The trained networks of a grid result as one StackedMLP, one model per remaining index in
    order (e.g. trained(res, activation="relu") has the seeds). Diverged models have NaN weights.
    `params` names another array of weights (a shape sweep stores one per shape, with its depth and
    width); `activation` names the activation of results that have no activation dim."""
    cfg = res.meta["config"]
    fixed = {"activation": where.pop("activation")} if "activation" not in res.dims[params] else {}
    p = res.sel(params, **where)
    names = _names(res, p.shape[:-1], {**where, **fixed}, params)
    flat = torch.from_numpy(p.reshape(-1, p.shape[-1])).to(dtype)
    return StackedMLP(list(names.reshape(-1)), flat, depth or cfg["depth"], width or cfg["width"])


def initial(res: Results, dtype: torch.dtype = torch.float64, **where) -> StackedMLP:
    """The same models as trained(res, **where), at initialisation (rebuilt from their seeds)."""
    cfg = res.meta["config"]
    shape = res.sel("final_params", **where).shape[:-1]
    dims = [d for d in res.dims["final_params"] if d not in where][:-1]
    seeds = np.broadcast_to(np.array(res.coords["seed"]).reshape([-1 if d == "seed" else 1 for d in dims]), shape)
    return StackedMLP.from_seeds(list(_names(res, shape, where).reshape(-1)), [int(s) for s in seeds.reshape(-1)],
                                 NetConfig(cfg["depth"], cfg["width"], cfg["init"]), dtype=dtype)


def weight_change(res: Results, **where) -> np.ndarray:
    """||W_l(end) - W_l(0)|| / ||W_l(0)|| per hidden layer: how far training moved each layer;
    [..., layer] over the models of trained(res, **where)."""
    a, b = trained(res, **where), initial(res, **where)
    shape = res.sel("final_params", **where).shape[:-1]
    out = [((wa - wb).flatten(1).norm(dim=1) / wb.flatten(1).norm(dim=1)).numpy()
           for wa, wb in zip(a.weight_views(a.flat)[:-1], b.weight_views(b.flat)[:-1])]
    return np.stack(out, -1).reshape(shape + (len(out),))


def pre_activations(res: Results, x: torch.Tensor) -> dict[str, dict[str, list[np.ndarray]]]:
    """h_l on the inputs x of every hidden layer, per activation, at init and trained (all seeds):
    out[name][when][l-1] has shape [seed, len(x), width], when in ("init", "trained")."""
    out: dict = {}
    for name in res.coords["activation"]:
        out[name] = {}
        for when, net in (("init", initial(res, activation=name)), ("trained", trained(res, activation=name))):
            with torch.no_grad():
                out[name][when] = [h.numpy() for h in net(x.to(net.flat.dtype), keep=True)[1]]
    return out
