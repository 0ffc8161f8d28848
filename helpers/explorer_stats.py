"""The numbers behind the explorers, live (helpers.widgets) and static (helpers.static_explorers):
forward and backward statistics of freshly initialised networks, per hidden layer."""
from __future__ import annotations

import numpy as np
import torch

from . import activations, probes
from .data import make_dataset
from .models import StackedMLP


def init_statistics(depth: int, width: int, activation: str, init: str, seeds: int = 3) -> dict[str, np.ndarray]:
    """Per hidden layer l = 1..depth, over `seeds` freshly initialised networks (float64): the std of
    h_l, the active fraction (share of (input, unit) pairs on), ||dL/dh_l|| and mean |dL/dW_l|
    (geometric means over seeds), and ||dL/dh_l|| / ||dL/dh_L|| (the ratio chapter 2 plots)."""
    data = make_dataset()
    net = StackedMLP.from_seeds([activation] * seeds, list(range(seeds)), depth, width, init, dtype=torch.float64)
    x, y = data.x.double(), data.y.double()
    pre = torch.stack(probes.pre_activations(net, x))   # [layer, seed, input, unit]: one op per statistic
    std = pre.std(dim=(2, 3)).mean(1).numpy()
    active = probes.is_on(activations.get(activation), pre).double().mean(dim=(1, 2, 3)).numpy()
    gw, gh = probes.layer_gradients(net, x, y)
    geo = lambda g: np.exp(np.log(np.clip(g.numpy(), 1e-300, None)).mean(0))  # noqa: E731
    ratio = np.exp(np.log(np.clip((gh / gh[:, -1:]).numpy(), 1e-300, None)).mean(0))
    return {"layer": np.arange(1, depth + 1), "h_std": std, "active": active, "grad_h": geo(gh), "grad_w": geo(gw),
            "grad_ratio": ratio}
