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
from helpers.batched import ModelSpec, train_batched
from helpers.models import layer_sizes
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
    print(f"{'engine':<34}{'time (s)':>10}{'GFLOP/s':>10}{'x floor':>9}")
    for name, t in (("plain loop (torch.optim, per model)", t_loop), ("batched engine", t_batched)):
        print(f"{name:<34}{t:>10.2f}{gflop / t:>10.0f}{t / floor:>9.1f}")
    print(f"speed-up of the batched engine over the loop: {t_loop / t_batched:.1f}x")


if __name__ == "__main__":
    main()
