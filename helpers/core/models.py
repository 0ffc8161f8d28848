"""The seed network: an MLP of `depth` hidden Linear+activation layers of `width` units, 1 -> 1
(d_in -> d_out for other data: 64 -> 10 for the digits).

Init schemes (every Linear layer, the readout included):
- ``torch_default``: what ``nn.Linear`` does, W and b ~ U(-1/sqrt(fan_in), +1/sqrt(fan_in)), so
  Var(W) = 1/(3 fan_in), i.e. sigma_w^2 = fan_in Var(W) = 1/3. This is *not* He init (sigma_w^2 = 2).
- ``xavier``: Glorot normal, Var(W) = 2/(fan_in + fan_out), b = 0 (Glorot & Bengio 2010).
- ``kaiming``: He normal, Var(W) = 2/fan_in, b = 0 (He et al. 2015), critical for ReLU.
- ``lecun``: LeCun normal, Var(W) = 1/fan_in, b = 0 (LeCun et al. 1998), SELU's init.
- ``orthogonal``: a random (semi-)orthogonal W times sqrt(max(1, fan_out/fan_in)), b = 0 (Saxe et al.
  2014): every singular value of a square layer is 1, and every layer has LeCun's Var(W) = 1/fan_in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import activations

INITS = ("torch_default", "xavier", "kaiming", "lecun", "orthogonal")


def check_shape(depth: int, width: int) -> None:
    """Refuse network shapes that cannot be built."""
    for name, value in (("depth", depth), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


def check_init(init: str) -> str:
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; valid choices: {', '.join(INITS)}")
    return init


@dataclass(frozen=True)
class NetConfig:
    """The network: `depth` hidden layers of `width` units, initialised by `init` (one of INITS). Validated here,
    once; every function that builds networks (init_params, StackedMLP.from_seeds, the engine, runs.grid) takes one."""

    depth: int = 10
    width: int = 64
    init: str = "torch_default"

    def __post_init__(self):
        check_shape(self.depth, self.width)
        check_init(self.init)


SEED_NET = NetConfig()   # the seed experiment's network: 10 hidden layers of 64, PyTorch's default init


def layer_sizes(depth: int, width: int, d_in: int = 1, d_out: int = 1) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of the hidden layers 1..depth followed by the readout."""
    check_shape(depth, width)
    return [(d_in if l == 0 else width, width) for l in range(depth)] + [(width, d_out)]


def init_params(seed: int, net: NetConfig = SEED_NET, dtype: torch.dtype = torch.float32,
                weight_scale: float = 1.0, d_in: int = 1, d_out: int = 1) -> list[tuple[Tensor, Tensor]]:
    """Initial (W [fan_in, fan_out], b [fan_out]) per layer, from a generator seeded with `seed` alone.

    The activation is not an argument: the same seed gives the same weights for every activation.
    Draw order matches nn.Linear (weight then bias, layer by layer), so `torch_default` with seed s
    equals a freshly built nn.Linear stack after torch.manual_seed(s). weight_scale multiplies every
    weight (not bias): sigma_w^2 scales by its square (used to push an init past criticality).
    """
    if not isinstance(net, NetConfig):
        raise TypeError(f"net must be a NetConfig, e.g. NetConfig(depth=10, width=64, init='kaiming'), got {net!r}")
    init = net.init
    gen = torch.Generator().manual_seed(int(seed))
    params = []
    for fan_in, fan_out in layer_sizes(net.depth, net.width, d_in, d_out):
        # Drawn the same whatever `dtype` is, so float32 and float64 models start identical; uniform
        # draws in float32 as nn.Linear does, normal ones in float64, because torch's float32 normal_
        # has a vectorised code path whose last bits differ from one CPU to another.
        b = torch.zeros(fan_out, dtype=torch.float64)
        if init == "torch_default":
            bound = 1 / math.sqrt(fan_in)
            w = torch.empty(fan_out, fan_in).uniform_(-bound, bound, generator=gen)  # nn.Linear's [out, in]
            b = torch.empty(fan_out).uniform_(-bound, bound, generator=gen)
        elif init == "orthogonal":
            g = torch.empty(max(fan_in, fan_out), min(fan_in, fan_out), dtype=torch.float64).normal_(generator=gen)
            q, r = torch.linalg.qr(g)
            q = q * torch.sign(torch.diagonal(r))     # Haar-distributed (Mezzadri 2007), as nn.init.orthogonal_
            w = (q if fan_out >= fan_in else q.T) * math.sqrt(max(1.0, fan_out / fan_in))
        else:
            var = {"xavier": 2 / (fan_in + fan_out), "kaiming": 2 / fan_in, "lecun": 1 / fan_in}[init]
            w = torch.empty(fan_out, fan_in, dtype=torch.float64).normal_(0, math.sqrt(var), generator=gen)
        params.append(((weight_scale * w.double()).T.contiguous().to(dtype), b.to(dtype)))
    return params


class MLP(nn.Module):
    """depth x (Linear -> activation), then a Linear readout. Hidden layer l = 1..depth from the input."""

    def __init__(self, activation: str = "relu", net: NetConfig = SEED_NET, seed: int = 0,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        self.activation = activations.get(activation)
        params = init_params(seed, net, dtype)
        self.depth, self.width, self.init = net.depth, net.width, net.init
        self.layers = nn.ModuleList()
        for w, b in params:
            lin = nn.Linear(*w.shape, dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(w.T)
                lin.bias.copy_(b)
            self.layers.append(lin)
        self.phi = self.activation.module()

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers[:-1]:
            x = self.phi(layer(x))
        return self.layers[-1](x)

    def pre_activations(self, x: Tensor) -> list[Tensor]:
        """h_l = W_l a_{l-1} + b_l for l = 1..depth (kept in the graph, for gradient probes)."""
        hs = []
        for layer in self.layers[:-1]:
            hs.append(layer(x))
            x = self.phi(hs[-1])
        return hs


def flatten(params: list[tuple[Tensor, Tensor]]) -> Tensor:
    """One model's parameters as a vector: W_1 (as [fan_in, fan_out]), b_1, ..., W_out, b_out."""
    return torch.cat([t.reshape(-1) for wb in params for t in wb])


class StackedMLP:
    """M MLPs of one shape as stacked tensors, so one batched matmul runs all of them.

    All parameters live in one buffer `flat` [M, P], model-major (row m is model m, in
    `flatten` order); layer l's W_l [M, fan_in, fan_out] and b_l [M, 1, fan_out] are views into
    it, and their .grad views into `grad`, so an optimizer step over every model is a handful
    of whole-buffer operations. Models may differ in activation; consecutive models with the
    same activation form a run that one kernel call handles.
    """

    def __init__(self, activation_names: list[str], flat: Tensor, depth: int, width: int, copy: bool = True,
                 d_in: int = 1, d_out: int = 1):
        self.acts = [activations.get(a) for a in activation_names]
        self.M, self.depth, self.width, self.d_in, self.d_out = len(self.acts), depth, width, d_in, d_out
        self.shapes = layer_sizes(depth, width, d_in, d_out)
        if flat.shape != (self.M, sum(fi * fo + fo for fi, fo in self.shapes)):
            raise ValueError(f"flat parameters of shape {tuple(flat.shape)} do not fit {self.M} "
                             f"models of depth {depth}, width {width}, {d_in} inputs and {d_out} outputs")
        self.flat = flat.detach().clone() if copy else flat.detach()  # copy=False: share the parameters
        self.grad = torch.zeros_like(self.flat)
        self.weights, self.biases = [], []
        offset = 0
        for fi, fo in self.shapes:
            for shape, out in (((fi, fo), self.weights), ((1, fo), self.biases)):
                n = shape[0] * shape[1]
                p = self.flat[:, offset:offset + n].view(self.M, *shape)
                p.requires_grad_(True)
                p.grad = self.grad[:, offset:offset + n].view(self.M, *shape)  # backward adds here
                out.append(p)
                offset += n
        names = [a.name for a in self.acts]
        starts = [0] + [m for m in range(1, self.M) if names[m] != names[m - 1]]
        self.runs = [(self.acts[s], s, e) for s, e in zip(starts, starts[1:] + [self.M])]
        self._run_sizes = [e - s for _, s, e in self.runs]

    def models(self, start: int, stop: int) -> "StackedMLP":
        """Models start..stop-1 as a StackedMLP sharing these parameters (no copy)."""
        return StackedMLP([a.name for a in self.acts[start:stop]], self.flat[start:stop], self.depth, self.width,
                          copy=False, d_in=self.d_in, d_out=self.d_out)

    def chunks(self, n_inputs: int, elements: int = 400_000):
        """(start, stop, models) in chunks whose activations on n_inputs inputs stay near `elements`
        numbers per layer, so that probes on a dense grid never hold all models' activations at once."""
        size = max(1, elements // (self.width * n_inputs))
        for s in range(0, self.M, size):
            yield s, min(s + size, self.M), self.models(s, min(s + size, self.M))

    def runs_within(self, start: int, stop: int) -> list[tuple]:
        """The activation runs (act, s, e) that models start..stop-1 contain, relative to start."""
        return [(act, max(s, start) - start, min(e, stop) - start) for act, s, e in self.runs
                if s < stop and e > start]

    @classmethod
    def from_seeds(cls, activation_names: list[str], seeds: list[int], net: NetConfig = SEED_NET,
                   device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                   weight_scale: float | list[float] = 1.0, d_in: int = 1, d_out: int = 1) -> "StackedMLP":
        """Model m gets activation_names[m] and the initial weights of seeds[m] (every weight times
        weight_scale, or times weight_scale[m])."""
        scales = weight_scale if isinstance(weight_scale, (list, tuple)) else [weight_scale] * len(seeds)
        cache: dict[tuple, Tensor] = {}
        rows = []
        for s, k in zip(seeds, scales):
            if (s, k) not in cache:
                cache[s, k] = flatten(init_params(s, net, weight_scale=k, d_in=d_in, d_out=d_out))
            rows.append(cache[s, k])
        return cls(activation_names, torch.stack(rows).to(device=device, dtype=dtype), net.depth, net.width,
                   d_in=d_in, d_out=d_out)

    @classmethod
    def from_modules(cls, nets: list[MLP]) -> "StackedMLP":
        """A stacked copy of ordinary MLPs (used to probe the plain training loop)."""
        rows = [flatten([(lin.weight.detach().T, lin.bias.detach()) for lin in net.layers]) for net in nets]
        return cls([net.activation.name for net in nets], torch.stack(rows), nets[0].depth, nets[0].width)

    def weight_views(self, flat: Tensor) -> list[Tensor]:
        """W_l [M, fan_in, fan_out] (hidden layers and readout) as views into a buffer laid out like
        self.flat (a snapshot of the parameters, say)."""
        out, offset = [], 0
        for fi, fo in self.shapes:
            out.append(flat[:, offset:offset + fi * fo].view(self.M, fi, fo))
            offset += fi * fo + fo
        return out

    def activate(self, h: Tensor) -> Tensor:
        """phi applied to [M, ...], each model with its own activation."""
        if len(self.runs) == 1:
            return self.runs[0][0].fn(h)
        if not (torch.is_grad_enabled() and h.requires_grad):  # no graph: each run in place, no copies
            out = torch.empty_like(h)
            for act, s, e in self.runs:
                act.into(h[s:e], out[s:e])
            return out
        # split, not slicing: split's backward is one cat, a slice's allocates a full-size zero grad
        parts = h.split(self._run_sizes)
        return torch.cat([act.fn(part) for (act, _, _), part in zip(self.runs, parts)])

    def forward(self, x: Tensor, keep: bool = False) -> tuple[Tensor, list[Tensor]]:
        """x [N, d_in] (shared) or [M, N, d_in] -> (outputs [M, N, d_out], pre-activations h_1..h_L if keep)."""
        a = x.expand(self.M, *x.shape) if x.dim() == 2 else x
        pre = []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = torch.baddbmm(b, a, w)
            if keep:
                pre.append(h)
            a = self.activate(h)
        return torch.baddbmm(self.biases[-1], a, self.weights[-1]), pre

    __call__ = forward


def tent_mlp(compositions: int, dtype: torch.dtype = torch.float64) -> StackedMLP:
    """A hand-built ReLU network of depth `compositions` and width 2 that computes the tent map
    T(u) = 2 min(u, 1 - u) composed that many times, on u = (x + pi) / (2 pi), rescaled to [-1, 1]
    (the target data.target_fn("tent", k)): 2^k linear pieces from 2k hidden units (Telgarsky 2016).

    Layer 1 computes (u, u - 1/2); each unit pair feeds T(u) = 2 relu(u) - 4 relu(u - 1/2) into the
    next pair (which again subtracts 1/2 in its second unit); the readout is 2 T - 1."""
    check_shape(compositions, 2)
    t = lambda v: torch.tensor(v, dtype=torch.float64) # (exact in float64)
    c = 1 / (2 * math.pi)
    params = [(t([[c, c]]), t([0.5, 0.0]))]
    params += [(t([[2.0, 2.0], [-4.0, -4.0]]), t([0.0, -0.5]))] * (compositions - 1)
    params += [(t([[4.0], [-8.0]]), t([-1.0]))]
    return StackedMLP(["relu"], flatten(params).unsqueeze(0).to(dtype), compositions, 2)
