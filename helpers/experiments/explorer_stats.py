"""The numbers behind the explorers, live (helpers.interactive.widgets) and static
(helpers.interactive.static_explorers): forward and backward statistics of freshly initialised networks, per
hidden layer. The static explorer's
grid is a cached run (registry_deep.explorer_grid, which names this module in its key)."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from ..core import activations, store
from ..core.data import make_dataset
from ..core.models import NetConfig, StackedMLP
from ..core.workspace import Workspace
from ..engine import blocks, probes
from ..engine.batched import loss_and_grad


@lru_cache(maxsize=16)
def _initial(depth: int, width: int, init: str, seeds: int) -> Tensor:
    """The seeds' initial parameters (float64). They do not depend on the activation, so a change of
    activation in the live explorer skips initialising (a sixth of a redraw at depth 50)."""
    return StackedMLP.from_seeds(["identity"] * seeds, list(range(seeds)), NetConfig(depth, width, init),
                                 dtype=torch.float64).flat


@lru_cache(maxsize=None)
def on_interval(name: str) -> tuple[float, float]:
    """(lo, hi): probes.is_on(h) holds exactly for lo <= h <= hi (float64). Every registered activation
    passes a quarter of its best gain on one interval (ReLU: h > 0, sigmoid: |h| < 2.63, ...; infinite ends
    where it stays on), so the explorer counts on-units with two comparisons instead of evaluating phi'
    (a third of a redraw for GELU at depth 50). Found on a grid, each edge refined by bisection to the last
    float64; a test checks it against probes.is_on."""
    act = activations.get(name)
    on = lambda h: bool(probes.is_on(act, torch.tensor(h, dtype=torch.float64)))
    grid = torch.linspace(-30, 30, 600_001, dtype=torch.float64)
    where = probes.is_on(act, grid).nonzero().flatten()
    first, last = int(where[0]), int(where[-1])
    if last - first + 1 != len(where):
        raise ValueError(f"{name}: the on-set is not one interval")

    def edge(inside: float, outside: float) -> float:   # the last float64 on the inside of the edge
        while (mid := (inside + outside) / 2) not in (inside, outside):
            inside, outside = (mid, outside) if on(mid) else (inside, mid)
        return inside
    lo = -math.inf if first == 0 else edge(float(grid[first]), float(grid[first - 1]))
    hi = math.inf if last == len(grid) - 1 else edge(float(grid[last]), float(grid[last + 1]))
    return lo, hi


@lru_cache(maxsize=None)
def one_interval(name: str) -> tuple[float, float] | None:
    """on_interval(name), or None for an activation on in many intervals (the sine and Snake of chapter 12)."""
    try:
        return on_interval(name)
    except ValueError:
        return None


def active_fraction(name: str, pre: list[Tensor]) -> np.ndarray:
    """The share of (input, unit) pairs on (probes.is_on) in each layer's pre-activations: two comparisons where
    the on-set is one interval, phi' itself where it is not."""
    interval = one_interval(name)
    if interval is None:
        act = activations.get(name)
        return np.array([float(probes.is_on(act, h).double().mean()) for h in pre])
    lo, hi = interval
    return np.array([float(((h >= lo) & (h <= hi)).double().mean()) for h in pre])


def init_statistics(depth: int, width: int, activation: str, init: str, seeds: int = 3,
                    variant: str = "plain") -> dict[str, np.ndarray]:
    """Per hidden layer l = 1..depth, over `seeds` freshly initialised networks (float64): the std of
    h_l, the active fraction (share of (input, unit) pairs on), ||dL/dh_l|| and mean |dL/dW_l|
    (geometric means over seeds), and ||dL/dh_l|| / ||dL/dh_L|| (the ratio chapter 2 plots). For a variant
    with normalisation or residual connections (helpers.engine.blocks), h_l is the argument of the activation."""
    data = make_dataset()
    net = StackedMLP([activation] * seeds, _initial(depth, width, init, seeds), depth, width)
    x, y = data.x.double(), data.y.double()
    if blocks.check_variant(variant) == "plain":
        ws = Workspace(net, len(x))   # one chunk: the engine's forward keeps h_l in ws.h (as [seed, unit, input])
        _, gw, gh = loss_and_grad(net, x, y, ws, probe=True)   # gradients by the engine's backward, tested
        pre = ws.h                                              # against autograd; ws.h[l] is [seed, unit, input]
    else:
        stack = blocks.BlockStack(variant, net)
        with torch.enable_grad():
            out, pre = stack.forward(x)
            grads = torch.autograd.grad(((out - y) ** 2).mean(dim=(1, 2)).sum(), pre + stack.net.weights[:-1])
        gh = torch.stack([g.flatten(1).norm(dim=1) for g in grads[:depth]], 1)
        gw = torch.stack([g.abs().mean(dim=(1, 2)) for g in grads[depth:]], 1)
        pre = [h.detach() for h in pre]
    std = torch.stack([h.std(dim=(1, 2)).mean() for h in pre]).numpy()
    active = active_fraction(activation, pre)
    geo = lambda g: np.exp(np.log(np.clip(g.numpy(), 1e-300, None)).mean(0))
    ratio = np.exp(np.log(np.clip((gh / gh[:, -1:]).numpy(), 1e-300, None)).mean(0))
    return {"layer": np.arange(1, depth + 1), "h_std": std, "active": active, "grad_h": geo(gh), "grad_w": geo(gw),
            "grad_ratio": ratio}


STATISTICS = ("h_std", "active", "grad_ratio")   # what the static explorer draws


def statistics_grid(names, inits, layers, depths, width: int = 64) -> store.Results:
    """init_statistics over activation x init x variant x depth: h_std, active, grad_ratio
    [activation, init, layers, depth, layer] (NaN beyond each network's depth)."""
    shape = (len(names), len(inits), len(layers), len(depths), max(depths))
    out = {k: np.full(shape, np.nan) for k in STATISTICS}
    for a, name in enumerate(names):
        for i, init in enumerate(inits):
            for v, variant in enumerate(layers):
                for d, depth in enumerate(depths):
                    s = init_statistics(depth, width, name, init, variant=variant)
                    for k in STATISTICS:
                        out[k][a, i, v, d, :depth] = s[k]
    dims = ("activation", "init", "layers", "depth", "layer")
    return store.Results(out, {k: dims for k in out},
                         {"activation": list(names), "init": list(inits), "layers": list(layers),
                          "depth": list(depths), "layer": list(range(1, max(depths) + 1))},
                         {"config": {"width": width, "seeds": 3}, "versions": store.versions()})
