"""Benchmark (not a test): how long each notebook takes to execute top to bottom, cold.

Runs every notebooks/*.ipynb in a fresh kernel with an empty result cache (so nothing is loaded
from an earlier run) and prints the seconds each took and the total. CI times nothing.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    total = 0.0
    with tempfile.TemporaryDirectory() as cache:
        os.environ["HELPERS_CACHE_DIR"] = cache  # the kernels inherit it: every sweep recomputes
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            t = time.perf_counter()
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            dt = time.perf_counter() - t
            total += dt
            print(f"{path.name:<32}{dt:8.1f} s", flush=True)
    print(f"{'all notebooks':<32}{total:8.1f} s")


if __name__ == "__main__":
    main()
