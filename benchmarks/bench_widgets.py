"""Benchmark (not a test): time per change of the live explorer's at-init view, the slowest case
(depth 50), as the widget does it: recompute the statistics, update the figure, draw one PNG."""
from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")

from helpers import seed_everything  # noqa: E402
from helpers.widgets import InitView, _png  # noqa: E402


def main() -> None:
    seed_everything(0, threads=2)
    view = InitView()
    view.update(10, 64, "relu", "torch_default")
    _png(view.fig)
    for name in ("relu", "gelu", "sigmoid", "tanh"):
        for init in ("torch_default", "kaiming"):
            times = []
            for _ in range(3):
                t = time.perf_counter()
                view.update(50, 64, name, init)
                _png(view.fig)
                times.append(time.perf_counter() - t)
            print(f"depth 50, {name:<8} {init:<14} {1e3 * min(times):6.0f} ms per change (best of 3)")


if __name__ == "__main__":
    main()
