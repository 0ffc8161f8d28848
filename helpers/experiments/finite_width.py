"""Where the mean field's infinite width shows, measured at initialisation (chapter 9): the gradient ratio of
freshly drawn networks across widths, for plain, residual and BatchNorm layers. Everything here is float64."""
from __future__ import annotations

import numpy as np
import torch

from ..core import activations, store
from ..core.data import Dataset
from ..core.models import NetConfig, StackedMLP, init_params


def block_ratio(variant: str, names: list[str], seeds: list[int], depth: int, width: int, init: str,
                x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """||dL/du_1|| / ||dL/du_L|| of freshly initialised networks of a helpers.engine.blocks variant (u_l: the argument
    of phi), MSE on (x, y), float64: [activation, seed]. One network at a time: a wide, deep one is 400 MB."""
    from ..engine.blocks import BlockStack
    out = np.zeros((len(names), len(seeds)))
    for a, name in enumerate(names):
        for s, seed in enumerate(seeds):
            net = StackedMLP.from_seeds([name], [seed], NetConfig(depth, width, init), dtype=torch.float64,
                                        d_in=x.shape[1])
            stack = BlockStack(variant, net)
            with torch.enable_grad():
                z, us = stack.forward(x.double())
                first, last = torch.autograd.grad(((z - y.double()) ** 2).mean(), [us[0], us[-1]])
            out[a, s] = float(first.norm() / last.norm())
    return out


def batchnorm_ratio(names: list[str], seeds: list[int], depth: int, width: int, x: torch.Tensor,
                    y: torch.Tensor) -> np.ndarray:
    """block_ratio of the batchnorm variant at initialisation (gain 1, shift 0) for inputs of any dimension:
    u_l = BN(W_l a_{l-1} + b_l) over the batch, per unit, eps 1e-5 (helpers.engine.blocks' forward, whose input is one
    number): [activation, seed]."""
    out = np.zeros((len(names), len(seeds)))
    for a, name in enumerate(names):
        phi = activations.get(name).fn
        for s, seed in enumerate(seeds):
            params = init_params(seed, NetConfig(depth, width), torch.float64, d_in=x.shape[1])
            with torch.enable_grad():
                act, us = x.detach().double().clone().requires_grad_(), []   # a graph through every layer (a copy)
                for w, b in params[:-1]:
                    h = act @ w + b
                    us.append((h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + 1e-5))
                    act = phi(us[-1])
                z = act @ params[-1][0] + params[-1][1]
                first, last = torch.autograd.grad(((z - y.double()) ** 2).mean(), [us[0], us[-1]])
            out[a, s] = float(first.norm() / last.norm())
    return out


TREND_WIDTHS = (64, 256, 1024)


def width_trends(data: Dataset, seeds: list[int], widths=TREND_WIDTHS) -> store.Results:
    """Finite-width checks of the mean field at initialisation, layer 1 / layer L of ||dL/du_l||:
    he_ratio [width, activation, seed]: plain networks of depth 50 under He (GELU and SiLU, whose variance map is
    expansive in log q, against ReLU's neutral one and tanh's); residual_ratio [width, activation, seed]: the
    residual variant of depth 20 at PyTorch's default init; batchnorm_ratio [input, activation, seed]: BatchNorm
    at depth 20, width 64, fed the seed task's inputs (rank 1) or 200 standard-normal 64-dimensional inputs
    (full rank), targets N(0, 1) for the latter."""
    x, y = data.x.double(), data.y.double()
    he_names, res_names, bn_names = ["relu", "tanh", "gelu", "silu"], ["sigmoid", "tanh", "relu", "elu", "gelu",
                                                                       "silu"], ["identity", "relu", "tanh"]
    he = np.stack([block_ratio("plain", he_names, seeds, 50, w, "kaiming", x, y) for w in widths])
    res = np.stack([block_ratio("residual", res_names, seeds, 20, w, "torch_default", x, y) for w in widths])
    gen = torch.Generator().manual_seed(0)
    x_full = torch.randn(200, 64, generator=gen, dtype=torch.float64)
    y_full = torch.randn(200, 1, generator=gen, dtype=torch.float64)
    bn = np.stack([batchnorm_ratio(bn_names, seeds, 20, 64, xi, yi) for xi, yi in ((x, y), (x_full, y_full))])
    return store.Results({"he_ratio": he, "residual_ratio": res, "batchnorm_ratio": bn},
                         {"he_ratio": ("width", "he_activation", "seed"),
                          "residual_ratio": ("width", "residual_activation", "seed"),
                          "batchnorm_ratio": ("input", "bn_activation", "seed")},
                         {"width": list(widths), "he_activation": he_names, "residual_activation": res_names,
                          "bn_activation": bn_names, "input": ["sine (rank 1)", "Gaussian, 64-dim (full rank)"],
                          "seed": list(seeds)},
                         {"config": {"data": data.describe()}, "versions": store.versions()})
