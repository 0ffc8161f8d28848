"""Benchmark (not a test): the seed workload, 5 activations x 5 seeds x 500 epochs, full batch.

Times the batched engine (helpers.batched) and the plain per-model loop (helpers.train.train_loop,
torch.optim + nn.Module) in the same run, and relates both to the machine's measured matmul rate:

    python benchmarks/bench_baseline.py [--epochs 500] [--threads 2]
"""
from __future__ import annotations

import argparse
import time

import torch

from helpers import activations, make_dataset, seed_everything
from helpers.batched import FlatOptimizer, ModelSpec, flush_denormals, loss_and_grad, train_batched
from helpers.models import StackedMLP, layer_sizes
from helpers.train import TrainConfig, train_loop


def matmul_rate(shape: tuple[int, ...], repeats: int = 20) -> float:
    """Best GFLOP/s of float32 (b)mm on this machine for [B, n, k] x [B, k, m] (B=1: plain mm)."""
    b, n, k, m = shape
    x, y = torch.randn(b, n, k), torch.randn(b, k, m)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.bmm(x, y)
        best = min(best, time.perf_counter() - t)
    return 2 * b * n * k * m / best / 1e9


def steps_only(specs, data, cfg) -> float:
    """Seconds for the engine's bare training steps (forward, backward, Adam), nothing recorded."""
    net = StackedMLP.from_seeds([s.activation for s in specs], [s.seed for s in specs], 10, 64,
                                "torch_default", "cpu", torch.float32)
    opt, x, y = FlatOptimizer(net, [cfg.lr] * len(specs), cfg), data.x.float(), data.y.float()
    t = time.perf_counter()
    for _ in range(cfg.epochs):
        with flush_denormals():
            loss_and_grad(net, x, y)
            opt.step()
    return time.perf_counter() - t


def matmuls_only(n_models: int, n: int, epochs: int) -> float:
    """Seconds for just the matmuls of those steps (3 per hidden-to-hidden layer: forward, dL/dW,
    dL/da): what is left when activations, biases, Adam and Python cost nothing."""
    a, w = torch.randn(n_models, n, 64), torch.randn(n_models, 64, 64)
    t = time.perf_counter()
    for _ in range(epochs):
        for _ in range(9):
            torch.bmm(a, w)
            torch.bmm(a.transpose(1, 2), a)
            torch.bmm(a, w.transpose(1, 2))
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    seed_everything(0, threads=args.threads)
    data = make_dataset()
    names, seeds = activations.SEED_ACTIVATIONS, range(args.seeds)
    cfg = TrainConfig(epochs=args.epochs)
    specs = [ModelSpec(a, s) for a in names for s in seeds]

    params = sum(fi * fo + fo for fi, fo in layer_sizes(10, 64))
    # forward 2 flops per weight and point, backward 4 (dL/dW and dL/da), every epoch and model
    gflop = 6 * len(data.x) * params * args.epochs * len(specs) / 1e9
    peak = matmul_rate((1, 2048, 2048, 2048))
    shaped = matmul_rate((len(specs), len(data.x), 64, 64))

    t = time.perf_counter()
    train_batched(specs, data, cfg, device="cpu")
    t_batched = time.perf_counter() - t
    t_steps = steps_only(specs, data, cfg)
    t_mm = matmuls_only(len(specs), len(data.x), args.epochs)
    t = time.perf_counter()
    for spec in specs:
        train_loop(spec.activation, spec.seed, data, cfg, device="cpu")
    t_loop = time.perf_counter() - t

    floor = gflop / peak
    print(f"workload: {len(specs)} models ({len(names)} activations x {args.seeds} seeds), {args.epochs} "
          f"epochs, full batch of {len(data.x)}, {params} parameters each: {gflop:.0f} GFLOP "
          f"(training arithmetic; probes and test evaluations come on top)")
    print(f"threads: {torch.get_num_threads()}; measured float32 matmul rate: {peak:.0f} GFLOP/s "
          f"(2048^3), {shaped:.0f} GFLOP/s (the workload's [{len(specs)}, 200, 64] x [64, 64] shape)")
    print(f"arithmetic floor: {floor:.2f} s at the peak rate ({gflop / shaped:.2f} s at the shaped rate)")
    print(f"{'engine':<38}{'time (s)':>10}{'GFLOP/s':>10}{'x floor':>9}")
    for name, t in (("plain loop (torch.optim, per model)", t_loop), ("batched engine", t_batched),
                    ("  of which the training steps", t_steps), ("  of which the 64x64 matmuls", t_mm)):
        print(f"{name:<38}{t:>10.2f}{gflop / t:>10.0f}{t / floor:>9.1f}")
    print(f"speed-up of the batched engine over the loop: {t_loop / t_batched:.1f}x; both record the same logs "
          f"(the rest of the engine's time: {t_batched - t_steps:.1f} s of probes, test MSE and unit states)")


if __name__ == "__main__":
    main()
