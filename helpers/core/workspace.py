"""The engine's forward pass: many models' layers as batched matmuls into buffers allocated once.

Training (helpers.engine.batched) and the recorder (test loss and unit states on the dense grid, hidden units,
predictions, the final losses) share it, so a probe costs what a training forward costs. Layout
[model, unit, input]: a layer is h^T = W^T a^T + b, which the BLAS runs faster than [model, input, unit].
"""
from __future__ import annotations

import torch
from torch import Tensor

from .models import StackedMLP

# Models go through a pass in chunks whose activations fit in a core's cache: at this size the batched
# matmuls run at 80% of the machine's peak instead of 50% (benchmarks/bench.py's engine section).
CHUNK_ELEMENTS = 8 * 64 * 200


class Workspace:
    """The forward and backward buffers of one chunk of `net`'s models at one number of inputs n,
    allocated once and reused by every chunk and step, with each chunk's parameter views made once."""

    def __init__(self, net: StackedMLP, n: int):
        c, W, L = self.size(net, n), net.width, net.depth
        new = lambda *shape: torch.empty(*shape, dtype=net.flat.dtype, device=net.flat.device)
        self.net, self.n, self.chunk = net, n, c
        self.h = [new(c, W, n) for _ in range(L)]          # pre-activations h_1..h_L (transposed)
        self.a = [new(c, W, n) for _ in range(L)]          # a_1..a_L
        self.out = new(c, net.d_out, n)
        self.back = new(c, W, n)                           # dL/da_l
        self.delta = [new(c, W, n), new(c, W, n)]          # dL/dh_l, two alternating buffers
        self.gw = [new(c, fi, fo) for fi, fo in net.shapes]
        self._views: dict[int, Chunk] = {}

    def check(self, net: StackedMLP, n: int) -> None:
        """A workspace serves the net and the number of inputs it was made for (its views are that net's)."""
        if net is not self.net or n != self.n:
            raise ValueError(f"this workspace is for another network or for {self.n} inputs, not {n}")

    @staticmethod
    def size(net: StackedMLP, n: int) -> int:
        return max(1, min(net.M, CHUNK_ELEMENTS // (net.width * n)))

    def chunks(self):
        """Every chunk of models, in order (views into the parameters, made on first use)."""
        for s0 in range(0, self.net.M, self.chunk):
            if s0 not in self._views:
                self._views[s0] = Chunk(self, s0, min(s0 + self.chunk, self.net.M))
            yield self._views[s0]


class Chunk:
    """Models start..stop-1 (size of them) of a Workspace's net: their transposed weights, biases, gradient slices
    and buffers."""

    def __init__(self, ws: Workspace, s: int, e: int):
        net, k = ws.net, e - s
        self.start, self.stop, self.size, self.runs = s, e, k, net.runs_within(s, e)
        self.Wt = [w.detach()[s:e].transpose(1, 2) for w in net.weights]     # W_l^T [k, fan_out, fan_in]
        self.bt = [v.detach()[s:e].transpose(1, 2) for v in net.biases]      # [k, fan_out, 1]
        self.W = [w.transpose(1, 2) for w in self.Wt]                       # W_l [k, fan_in, fan_out]
        self.gw_out = [w.grad[s:e] for w in net.weights]                    # dL/dW_l of these models
        self.gb_out = [v.grad[s:e, 0] for v in net.biases]
        self.h, self.a = [t[:k] for t in ws.h], [t[:k] for t in ws.a]       # h_l, a_l (l = 1..L)
        self.out, self.back, self.gw = ws.out[:k], ws.back[:k], [t[:k] for t in ws.gw]
        # dL/dh_l of hidden layer l = 1..L lies in dh[l - 1]: two buffers in turn, as the backward pass needs only
        # the layer above
        self.dh = [ws.delta[l % 2][:k] for l in range(1, len(self.h) + 1)]
        # each run of one activation's slices, per layer, made once: a step then slices nothing
        self.act_views = [[(act, h[s:e], a[s:e]) for act, s, e in self.runs] for h, a in zip(self.h, self.a)]
        self.vjp_views = [[(act, self.back[s:e], h[s:e], a[s:e], self.dh[l][s:e])  # dL/dh_(l+1)
                           for act, s, e in self.runs] for l, (h, a) in enumerate(zip(self.h, self.a))]

    def forward(self, xt: Tensor) -> Tensor:
        """Outputs z [k, d_out, n] of these models on inputs xt ([d_in, n] shared, or [M, d_in, n] per model);
        h_l and a_l stay in self.h, self.a."""
        a = xt.expand(self.size, *xt.shape) if xt.dim() == 2 else xt[self.start:self.stop]
        for l in range(len(self.h)):
            torch.baddbmm(self.bt[l], self.Wt[l], a, out=self.h[l])
            for act, h, out in self.act_views[l]:
                act.into(h, out)
            a = self.a[l]
        return torch.baddbmm(self.bt[-1], self.Wt[-1], a, out=self.out)


def forward(net: StackedMLP, x: Tensor, ws: Workspace | None = None):
    """Every chunk of models run forward on x [n, d_in] (shared by all models): yields (chunk, z), z the
    outputs [k, d_out, n]; the chunk's h_l and a_l [k, width, n] hold until the next chunk."""
    ws = ws or Workspace(net, len(x))
    ws.check(net, len(x))
    for chunk in ws.chunks():
        yield chunk, chunk.forward(x.transpose(0, 1))
