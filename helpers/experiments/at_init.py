"""Measurements of freshly initialised networks (no training): gradients across depth and init,
unit states, curvature, dead-at-birth probabilities and linear pieces. Everything here is float64."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from .. import theory
from ..core import activations, store
from ..core.data import Dataset
from ..core.models import NetConfig, StackedMLP
from ..engine.probes import UNIT_STATES, layer_gradients, linear_pieces, readout_curvature, sharpness, unit_states

# Init cases: name -> (init, sigma_w^2 rule). "edge" is each activation's edge of chaos at zero bias
# (theory.edge_sigma_w2), Gaussian; "edge x 2.25" is past it: the exploding side; "orthogonal" is orthogonal
# weights at the edge of chaos (Pennington et al. 2017). The depth sweep (chapter 2) uses SWEEP_CASES.
INIT_CASES = {"torch_default": ("torch_default", None), "xavier": ("xavier", None), "kaiming": ("kaiming", None),
              "lecun": ("lecun", None), "edge": ("kaiming", 1.0), "edge x 2.25": ("kaiming", 2.25),
              "orthogonal": ("orthogonal", 1.0)}
SWEEP_CASES = ("torch_default", "xavier", "kaiming", "edge", "edge x 2.25")


@lru_cache(maxsize=None)
def _edge(name: str) -> float:
    return theory.edge_sigma_w2(name)   # seconds for GELU, SiLU and sigmoid: found once per process


def case_scales(case: str, names: list[str]) -> list[float]:
    """The weight multiplier of each activation under an init case (1 for the plain schemes; the
    scheme's weights rescaled to sigma_w^2 = factor x the activation's edge of chaos otherwise)."""
    init, factor = INIT_CASES[case]
    if factor is None:
        return [1.0] * len(names)
    return [math.sqrt(factor * _edge(n) / theory.sigma_w2(init)) for n in names]


def init_sweep(activation_names: list[str], depths: list[int], seeds: list[int], data: Dataset,
               cases: tuple[str, ...] = SWEEP_CASES, width: int = 64) -> store.Results:
    """Per-layer gradients at initialisation across depth and init.

    grad_h / grad_w [case, activation, depth, seed, layer]: ||dL/dh_l|| and mean |dL/dW_l| of the
    full-batch loss, NaN beyond each network's depth; theory_h [case, activation, depth, layer]: the
    mean-field prediction of ||dL/dh_l|| / ||dL/dh_L||; sigma_w2 [case, activation]: the init's."""
    names = [activations.get(a).name for a in activation_names]
    shape = (len(cases), len(names), len(depths), len(seeds), max(depths))
    grad_h, grad_w = np.full(shape, np.nan), np.full(shape, np.nan)
    theory_h = np.full((len(cases), len(names), len(depths), max(depths)), np.nan)
    sw2 = np.zeros((len(cases), len(names)))
    x, y = data.x.double(), data.y.double()
    for c, case in enumerate(cases):
        init = INIT_CASES[case][0]
        scales = case_scales(case, names)
        for a, (name, k) in enumerate(zip(names, scales)):
            sw2[c, a] = theory.sigma_w2(init, width) * k ** 2
            mf = theory.mean_field(name, max(depths), width, init, k, x=x.numpy(), y=y.numpy())
            for d, depth in enumerate(depths):
                theory_h[c, a, d, :depth] = mf.truncated(depth).grad_h_profile()
        for d, depth in enumerate(depths):
            net = StackedMLP.from_seeds([n for n in names for _ in seeds], list(seeds) * len(names),
                                        NetConfig(depth, width, init), dtype=torch.float64,
                                        weight_scale=[k for k in scales for _ in seeds])
            gw, gh = (g.numpy().reshape(len(names), len(seeds), depth) for g in layer_gradients(net, x, y))
            grad_w[c, :, d, :, :depth], grad_h[c, :, d, :, :depth] = gw, gh
    dims = ("case", "activation", "depth", "seed", "layer")
    return store.Results({"grad_h": grad_h, "grad_w": grad_w, "theory_h": theory_h, "sigma_w2": sw2},
                         {"grad_h": dims, "grad_w": dims, "theory_h": dims[:3] + ("layer",),
                          "sigma_w2": ("case", "activation")},
                         {"case": list(cases), "activation": names, "depth": list(depths), "seed": list(seeds),
                          "layer": list(range(1, max(depths) + 1))},
                         {"config": {"cases": {k: list(INIT_CASES[k]) for k in cases}, "width": width,
                                     "data": data.describe()}, "versions": store.versions()})


def mean_field_profiles(names: list[str], inits: tuple[str, ...], depths: tuple[int, ...], x: np.ndarray,
                        width: int = 64) -> store.Results:
    """theory_h [init, depth, activation, layer]: the mean-field ||dL/dh_l|| / ||dL/dh_L|| at initialisation for
    the inputs x (theory.mean_field), NaN beyond each depth."""
    theory_h = np.full((len(inits), len(depths), len(names), max(depths)), np.nan)
    for i, init in enumerate(inits):
        for a, name in enumerate(names):
            mf = theory.mean_field(name, max(depths), width, init, x=x, task="classification")
            for d, depth in enumerate(depths):
                theory_h[i, d, a, :depth] = mf.truncated(depth).grad_h_profile()
    return store.Results({"theory_h": theory_h}, {"theory_h": ("init", "depth", "activation", "layer")},
                         {"init": list(inits), "depth": list(depths), "activation": list(names),
                          "layer": list(range(1, max(depths) + 1))}, {"config": {"width": width}})


def init_states(activation_names: list[str], seeds: list[int], data: Dataset, depth: int = 10,
                width: int = 64, inits: tuple[str, ...] = ("torch_default", "kaiming")) -> store.Results:
    """Unit states (helpers.engine.probes.unit_states) of freshly initialised networks: states
    [init, activation, seed, layer, unit_state], per-unit on-fractions [init, activation, seed, layer, unit].
    Cheap, so it affords many seeds: a dead fraction measured to a percent needs thousands of units."""
    names = [activations.get(a).name for a in activation_names]
    fractions, per_unit = [], []
    for init in inits:
        net = StackedMLP.from_seeds([n for n in names for _ in seeds], list(seeds) * len(names),
                                    NetConfig(depth, width, init), dtype=torch.float64)
        f, u, _ = unit_states(net, data.x_test.double())
        fractions.append(f.numpy().reshape(len(names), len(seeds), depth, -1))
        per_unit.append(u.float().numpy().reshape(len(names), len(seeds), depth, width))
    return store.Results({"unit_states": np.stack(fractions), "unit_active": np.stack(per_unit)},
                         {"unit_states": ("init", "activation", "seed", "layer", "unit_state"),
                          "unit_active": ("init", "activation", "seed", "layer", "unit")},
                         {"init": list(inits), "activation": names, "seed": list(seeds),
                          "layer": list(range(1, depth + 1)), "unit_state": list(UNIT_STATES)},
                         {"config": {"depth": depth, "width": width, "data": data.describe()},
                          "versions": store.versions()})


def curvature(data: Dataset, depths: list[int], seeds: int, names: list[str], width: int = 64) -> store.Results:
    """Sharpness (the top Hessian eigenvalue of the train MSE, probes.sharpness) and the readout
    block's top eigenvalue (probes.readout_curvature) of freshly initialised networks (PyTorch's default
    init): [depth, activation, seed]."""
    x, y = data.x.double(), data.y.double()
    shape = (len(depths), len(names), seeds)
    out = {"sharpness": np.zeros(shape), "readout": np.zeros(shape)}
    for d, depth in enumerate(depths):
        net = StackedMLP.from_seeds([n for n in names for _ in range(seeds)], list(range(seeds)) * len(names),
                                    NetConfig(depth, width), dtype=torch.float64)
        out["sharpness"][d] = sharpness(net, x, y).numpy().reshape(len(names), seeds)
        out["readout"][d] = readout_curvature(net, x).numpy().reshape(len(names), seeds)
    dims = ("depth", "activation", "seed")
    return store.Results(out, {k: dims for k in out},
                         {"depth": list(depths), "activation": list(names), "seed": list(range(seeds))},
                         {"config": {"width": width, "init": "torch_default", "data": data.describe()},
                          "versions": store.versions()})


def born_dead(widths: list[int], depths: list[int], samples: int = 2000,
              init: str = "kaiming", x_max: float = math.pi) -> store.Results:
    """Simulated probability that a ReLU network is dead at birth, per width and depth.

    born_dead [width, depth]: the last hidden layer is zero for every input of a 101-point grid on
    [-x_max, x_max] (the network is a constant); point_dead [width, depth]: it is zero at x = x_max
    alone. Each cell averages `samples` independently initialised networks (seeds 0..samples-1)."""
    x = torch.linspace(-x_max, x_max, 101, dtype=torch.float64).unsqueeze(1)
    shape = (len(widths), len(depths))
    out = {"born_dead": np.zeros(shape), "point_dead": np.zeros(shape)}
    for i, w in enumerate(widths):
        for j, depth in enumerate(depths):
            net = StackedMLP.from_seeds(["relu"] * samples, list(range(samples)), NetConfig(depth, w, init),
                                        dtype=torch.float64)
            with torch.no_grad():
                last = net.activate(net(x, keep=True)[1][-1])         # [samples, 101, w]
            zero = (last == 0).all(dim=2)                            # [samples, 101]
            out["born_dead"][i, j] = zero.all(dim=1).double().mean().item()
            out["point_dead"][i, j] = zero[:, -1].double().mean().item()
    return store.Results(out, {k: ("width", "depth") for k in out}, {"width": list(widths), "depth": list(depths)},
                         {"config": {"samples": samples, "init": init, "x_max": x_max},
                          "versions": store.versions()})


def init_pieces(depths=(1, 2, 4, 8, 16), widths=(8, 16, 32, 64), seeds: int = 5,
                inits=("torch_default", "kaiming"), name: str = "relu") -> store.Results:
    """Exact number of linear pieces on [-pi, pi] of freshly initialised networks: pieces [init, depth, width, seed]."""
    out = np.zeros((len(inits), len(depths), len(widths), seeds), dtype=int)
    for i, init in enumerate(inits):
        for d, depth in enumerate(depths):
            for w, width in enumerate(widths):
                net = StackedMLP.from_seeds([name] * seeds, list(range(seeds)), NetConfig(depth, width, init),
                                            dtype=torch.float64)
                out[i, d, w] = linear_pieces(net)
    return store.Results({"pieces": out}, {"pieces": ("init", "depth", "width", "seed")},
                         {"init": list(inits), "depth": list(depths), "width": list(widths),
                          "seed": list(range(seeds))},
                         {"config": {"activation": name}, "versions": store.versions()})


def _case_net(case: str, names: list[str], seeds: list[int], depth: int, width: int) -> StackedMLP:
    """activation x seed networks (seed fastest) of one init case, in float64."""
    scales = case_scales(case, names)
    return StackedMLP.from_seeds([n for n in names for _ in seeds], list(seeds) * len(names),
                                 NetConfig(depth, width, INIT_CASES[case][0]), dtype=torch.float64,
                                 weight_scale=[k for k in scales for _ in seeds])


@torch.no_grad()
def jacobian_spectra(names: list[str], cases: tuple[str, ...], depths: list[int], seeds: list[int],
                     x: torch.Tensor, width: int = 64) -> store.Results:
    """Singular values of the Jacobian J = dh_L/dh_1 = prod_{l=2..L} W_l^T diag(phi'(h_{l-1})) of freshly
    initialised networks, at each input of x (the width x width map from the first hidden layer to the
    last, as the seed network's input is one number): sv [case, depth, activation, seed, input, k],
    largest first (Pennington et al. 2017); theory_msv [case, depth, activation, input]: the mean-field mean of
    sigma^2 at each input, the product of that input's chi_l = sigma_w^2 E[phi'(h_l)^2] over l = 1..L-1."""
    sv = np.zeros((len(cases), len(depths), len(names), len(seeds), len(x), width))
    msv = np.zeros((len(cases), len(depths), len(names), len(x)))
    for c, case in enumerate(cases):
        for d, depth in enumerate(depths):
            net = _case_net(case, names, seeds, depth, width)
            _, pre = net(x.double(), keep=True)
            J = torch.eye(width, dtype=torch.float64).expand(net.M, len(x), width, width)
            for l in range(1, depth):
                slope = torch.cat([act.derivative(pre[l - 1][s:e]) for act, s, e in net.runs])  # [M, N, width]
                J = (net.weights[l].detach().transpose(1, 2)[:, None] * slope[:, :, None, :]) @ J
            sv[c, d] = torch.linalg.svdvals(J).numpy().reshape(len(names), len(seeds), len(x), width)
            for a, (name, k) in enumerate(zip(names, case_scales(case, names))):
                mf = theory.mean_field(name, depth, width, INIT_CASES[case][0], k, x=x.numpy())
                msv[c, d, a] = mf.chi_products()[:, 0]
    return store.Results({"sv": sv, "theory_msv": msv},
                         {"sv": ("case", "depth", "activation", "seed", "input", "k"),
                          "theory_msv": ("case", "depth", "activation", "input")},
                         {"case": list(cases), "depth": list(depths), "activation": list(names),
                          "seed": list(seeds), "input": x[:, 0].tolist(), "k": list(range(1, width + 1))},
                         {"config": {"width": width}, "versions": store.versions()})


@torch.no_grad()
def layer_moments(names: list[str], cases: tuple[str, ...], depth: int, seeds: list[int], x: torch.Tensor,
                  width: int = 64) -> store.Results:
    """Per hidden layer of freshly initialised networks, over the units of a layer at one input, then averaged
    over the inputs x: mean_a, var_a [case, activation, seed, layer] (mean and variance of a_l = phi(h_l), the
    quantities SELU keeps at 0 and 1), q [same]: the mean of h_l^2, and theory_q [case, activation, layer]:
    the mean-field q_l (theory.mean_field, one recursion per input) averaged over the same inputs."""
    shape = (len(cases), len(names), len(seeds), depth)
    out = {k: np.zeros(shape) for k in ("mean_a", "var_a", "q")}
    theory_q = np.zeros((len(cases), len(names), depth))
    for c, case in enumerate(cases):
        scales = case_scales(case, names)
        net = _case_net(case, names, seeds, depth, width)
        _, pre = net(x.double(), keep=True)
        for l, h in enumerate(pre):
            a = net.activate(h)
            for key, v in (("mean_a", a.mean(2)), ("var_a", a.var(2, unbiased=False)), ("q", (h * h).mean(2))):
                out[key][c, :, :, l] = v.mean(1).numpy().reshape(len(names), len(seeds))
        for a, (name, k) in enumerate(zip(names, scales)):
            theory_q[c, a] = theory.mean_field(name, depth, width, INIT_CASES[case][0], k, x=x.numpy()).q_mean()
    dims = ("case", "activation", "seed", "layer")
    return store.Results({**out, "theory_q": theory_q}, {**{k: dims for k in out}, "theory_q": dims[:2] + ("layer",)},
                         {"case": list(cases), "activation": list(names), "seed": list(seeds),
                          "layer": list(range(1, depth + 1))},
                         {"config": {"width": width, "depth": depth}, "versions": store.versions()})
