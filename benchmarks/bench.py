"""Benchmark (not a test): one table of times and ratios, all measured in this run on this machine.

1. The engine: the seed workload (8 activations x 5 seeds, 10 x 64, 500 full-batch epochs, float64, the
   logs the book uses) by the batched engine and by the plain per-model loop, against the arithmetic
   floor (the workload's matmul FLOPs at this machine's measured float64 matmul rate, one thread: of the
   training alone, and with the forward passes the logs need; the latter also at the rate the workload's own
   64 x 64 products reach), split into matmuls, elementwise work, the optimizer and recording.
2. A cold build: install into a fresh venv, every shared run into an empty cache (per run), each chapter
   executed, the site built.
3. The live explorer in a real JupyterLab: time from a control change to the new image, at depth 50, for
   every activation and init, next to the in-process figure time.
4. Chapter 7's in-page trainer (TensorFlow.js) in headless Chromium: 500 epochs of 10 x 64 per activation,
   and the bytes it adds to the site.
5. The report card of a new activation (helpers.byo.card): its own runs, uncached (the eight's come from the cache).

    python benchmarks/bench.py [--skip-cold] [--skip-lab] [--skip-browser] [--skip-card]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from helpers import make_dataset, seed_everything  # noqa: E402
from helpers.core import activations  # noqa: E402
from helpers.core.models import StackedMLP, layer_sizes  # noqa: E402
from helpers.core.workspace import Workspace  # noqa: E402
from helpers.engine.batched import FlatOptimizer, ModelSpec, loss_and_grad, train_batched  # noqa: E402
from helpers.engine.loop import train_loop  # noqa: E402
from helpers.experiments import registry  # noqa: E402

ROWS: list[tuple[str, str, str]] = []


def row(what: str, seconds: float | None, ratio: str = "") -> None:
    ROWS.append((what, "" if seconds is None else f"{seconds:.2f}", ratio))
    print(f"{what:<62}{'' if seconds is None else f'{seconds:9.2f} s'}  {ratio}", flush=True)


def _time(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def matmul_rate(dtype=torch.float64, n: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n ** 3 / min(_time(lambda: a @ b) for _ in range(repeats)) / 1e9


def recording_inputs(cfg, data, models: int) -> int:
    """Inputs that the seed run's logs push through the network besides training (forward passes only, per
    model): the dense grid when the test loss or the unit states are due, the hidden-unit and wide grids at
    the recorded epochs, the final train and test losses; plus the gradient after the last epoch (a forward
    and a backward on the training inputs: three forward passes' worth). Read off the Recorder's schedule."""
    from helpers.engine.recorder import Recorder
    rec = Recorder(cfg, data, models, 10, 64, probe_gradients=False)
    dense = len(set(rec.test_epochs) | set(rec.state_epochs)) * len(data.x_test)
    return dense + len(rec.rec_epochs) * (len(rec.x_hidden) + len(data.x_wide)) + len(data.x_test) + 4 * len(data.x)


def engine() -> None:
    seed_everything(0, threads=1)
    data, cfg = make_dataset(), registry.Baseline().train
    specs = [ModelSpec(a, s) for a in registry.ACTS for s in range(registry.SEEDS)]
    params = sum(fi * fo + fo for fi, fo in layer_sizes(10, 64))
    gflop = 6 * len(data.x) * params * cfg.epochs * len(specs) / 1e9      # forward 2, backward 4 per weight
    gflop_logs = 2 * recording_inputs(cfg, data, len(specs)) * params * len(specs) / 1e9
    rate = matmul_rate()
    floor, floor_logs = gflop / rate, (gflop + gflop_logs) / rate
    row(f"float64 matmul rate, 1 thread (2048^3): {rate:.0f} GFLOP/s; training {gflop:.0f} GFLOP, "
        f"logs {gflop_logs:.0f} GFLOP", None)
    row("arithmetic floor of the seed workload's training", floor, "1.0x floor")
    row("arithmetic floor of the seed workload with its logs", floor_logs, f"{floor_logs / floor:.2f}x floor")
    t_engine = _time(lambda: train_batched(specs, data, cfg, device="cpu"))
    net = StackedMLP.from_seeds([s.activation for s in specs], [s.seed for s in specs], dtype=torch.float64)
    opt, ws = FlatOptimizer(net, [cfg.lr] * len(specs), cfg), Workspace(net, 200)
    x, y = data.x.double(), data.y.double()
    steps = _time(lambda: [(loss_and_grad(net, x, y, ws), opt.step()) for _ in range(cfg.epochs)])
    adam = _time(lambda: [opt.step() for _ in range(cfg.epochs)])
    c = ws.chunk
    a, w, d = (torch.randn(c, 64, 200, dtype=torch.float64), torch.randn(c, 64, 64, dtype=torch.float64),
               torch.randn(c, 64, 200, dtype=torch.float64))
    o, g = torch.empty(c, 64, 200, dtype=torch.float64), torch.empty(c, 64, 64, dtype=torch.float64)
    chunks = -(-len(specs) // c)
    calls = cfg.epochs * chunks * 9                     # hidden-to-hidden layers of every chunk and step

    def matmuls():   # the three 64 x 64 products per hidden-to-hidden layer and step, chunk by chunk
        for _ in range(calls):
            torch.bmm(w.transpose(1, 2), a, out=o)
            torch.bmm(a, d.transpose(1, 2), out=g)
            torch.bmm(w, d, out=o)
    mm = _time(matmuls)
    row("batched engine, the seed run with its logs", t_engine,
        f"{t_engine / floor:.1f}x floor; {t_engine / floor_logs:.1f}x the floor with logs")
    row("  training steps (forward, backward, Adam)", steps, f"{steps / floor:.1f}x floor")
    row("    of which the 64 x 64 matmuls", mm, f"{mm / floor:.1f}x floor")
    row("    of which Adam", adam, f"{adam / floor:.2f}x floor")
    rest = steps - mm - adam
    row("    the rest: activations, layer 1, readout, Python", rest, f"{rest / floor:.1f}x floor")
    recording = t_engine - steps
    row("  recording (probes, unit states, test MSE, hidden units)", recording,
        f"{recording / floor:.1f}x floor; {recording / (floor_logs - floor):.1f}x its own arithmetic")
    shaped = 3 * calls * 2 * c * 64 * 64 * 200 / mm / 1e9             # GFLOP/s of the 64 x 64 products
    at_shape = (gflop + gflop_logs) / shaped
    row(f"floor with logs at the rate of the workload's own 64 x 64 products ({shaped:.0f} GFLOP/s)", at_shape,
        f"the engine {t_engine / at_shape:.1f}x of it")
    few = [ModelSpec(a, 0) for a in registry.ACTS]          # one seed per activation, scaled to the workload
    t_loop = _time(lambda: [train_loop(s.activation, s.seed, data, cfg) for s in few]) * len(specs) / len(few)
    row("plain per-model loop (torch.optim), same logs (8 models, x5)", t_loop,
        f"{t_loop / floor:.1f}x floor, {t_loop / t_engine:.1f}x the engine")


def lab_latency(rounds: int = 3) -> None:
    """Slider-to-image latency of the live explorer at depth 50: every activation x init, visited `rounds`
    times; per setting the median of its visits (a one-off pause, such as Python's full garbage collection
    of a big kernel heap, lands on a random setting and is reported apart as the single slowest change)."""
    import lab_client
    import matplotlib
    matplotlib.use("Agg")
    from helpers.interactive.widgets import InitView, png
    inits = ("torch_default", "xavier", "kaiming")
    settings = [(n, i) for i in inits for n in activations.ACTIVATIONS]

    def report(where: str, visits: dict) -> None:
        per = {k: statistics.median(v) for k, v in visits.items()}
        worst = max(per, key=per.get)
        row(f"live explorer {where}, depth 50: median / slowest setting", statistics.median(per.values()),
            f"slowest setting {per[worst]:.2f} s ({worst[0]}, {worst[1]}); slowest single change "
            f"{max(max(v) for v in visits.values()):.2f} s; {len(per)} settings x {rounds}")

    view, inproc = InitView(), {k: [] for k in settings}
    for _ in range(rounds):
        for n, i in settings:
            inproc[n, i].append(_time(lambda n=n, i=i: png(view.update(50, 64, n, i))))
    report("in process", inproc)
    play = ROOT / "notebooks" / "07_playground.ipynb"
    with lab_client.jupyterlab([play]) as url, lab_client.chromium() as browser:
        page = lab_client.open_notebook(browser, url, play.name)
        lab_client.run_all(page)
        explorer = lab_client.explorer(page)
        before = lab_client.images(explorer)
        explorer.query_selector_all(".noUi-handle")[0].focus()
        page.keyboard.press("End")                                        # depth 50
        lab_client.wait_redraw(page, explorer, before)
        selects, lab = explorer.query_selector_all("select"), {k: [] for k in settings}

        def choose(select, value: str) -> float | None:
            """Seconds from choosing `value` to the new image; None if it was already chosen."""
            if select.input_value() == value:
                return None
            before = lab_client.images(explorer)
            select.select_option(label=value)
            return lab_client.wait_redraw(page, explorer, before)
        for _ in range(rounds):
            for n, i in settings:
                choose(selects[2], i)
                if (t := choose(selects[1], n)) is not None:
                    lab[n, i].append(t)
        report("in JupyterLab", {k: v for k, v in lab.items() if v})
        print(json.dumps({f"{k[0]}|{k[1]}": [round(t, 3) for t in v] for k, v in lab.items()}))


def browser_training(epochs: int = 500) -> None:
    """Chapter 7's in-page trainer in headless Chromium, opened from disk: 10 x 64 on the 200 points, `epochs`
    full-batch Adam steps with the page's redraws (every 5 epochs), per activation; and the bytes it adds."""
    from playwright.sync_api import sync_playwright

    from helpers.interactive import browser_trainer
    vendor = ROOT / "book" / "_vendor"
    files = [vendor / s for s in browser_trainer.SCRIPTS]
    if not all(f.is_file() for f in files):
        row("in-page trainer: TensorFlow.js not vendored (make site)", None)
        return
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "index.html"
        block = browser_trainer.html(static=vendor.as_uri())
        page_file.write_text(f"<!doctype html><html><body>{block}</body></html>")
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_function("window.abTrainer !== undefined")
        page.evaluate("abTrainer.ready")
        backend = page.evaluate("tf.getBackend()")
        run = """async ([name, epochs]) => { const t = performance.now(); await abTrainer.train({activation: name,
            depth: 10, width: 64, init: 'torch_default', lr: 1e-3, epochs}); return performance.now() - t; }"""
        for name in activations.ACTIVATIONS:
            ms = page.evaluate(run, [name, epochs])
            row(f"in-page trainer ({backend}), {name}, 10 x 64, {epochs} epochs", ms / 1000,
                f"{epochs / (ms / 1000):.0f} epochs/s")
        page.evaluate("tf.setBackend('cpu')")   # the alternative: TensorFlow.js's plain-JavaScript backend
        ms = page.evaluate(run, ["relu", 50]) * epochs / 50
        row(f"  the same on TensorFlow.js's cpu backend, relu (50 epochs, scaled to {epochs})", ms / 1000,
            f"{epochs / (ms / 1000):.0f} epochs/s")
        browser.close()
    size = sum(f.stat().st_size for f in files) + len(block.encode())
    row("in-page trainer: bytes added to the site", None, f"{size / 1e6:.2f} MB (TensorFlow.js, WASM, trainer)")


def card_time() -> None:
    """What `python -m helpers card "x * tanh(softplus(x))"` spends on its own runs (every piece, nothing cached)."""
    from helpers import byo
    from helpers.byo import card
    byo.register("bench_mish", byo.formula("x * tanh(softplus(x))"))
    try:
        seconds = _time(lambda: card.measure("bench_mish", None, log=lambda m: None))
        row("report card: a new activation's own runs (Mish formula)", seconds)
    finally:
        byo.unregister("bench_mish")


def cold_build() -> None:
    import nbformat
    from nbclient import NotebookClient
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "-r", "requirements.txt", "-c",
                        "requirements.lock"], cwd=ROOT, check=True)
        row("cold build: install into a fresh venv", time.perf_counter() - t)
        os.environ["HELPERS_CACHE_DIR"] = str(Path(tmp) / "cache")        # the chapters' kernels inherit it
        t = time.perf_counter()
        log = subprocess.run([sys.executable, "-m", "helpers", "precompute", "--jobs", "2"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - t
        per_run: dict[str, float] = {}
        for run, seconds in re.findall(r"precomputed (\w+):\w+ \((\d+) s\)", log):
            per_run[run] = per_run.get(run, 0.0) + float(seconds)
        row("cold build: every shared run, 2 processes (wall)", wall, f"{sum(per_run.values()) / wall:.1f} cores busy")
        for run, seconds in sorted(per_run.items(), key=lambda kv: -kv[1]):
            row(f"  {run} (CPU seconds)", seconds)
        total = 0.0
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            dt = _time(lambda nb=nb, path=path: NotebookClient(
                nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute())
            total += dt
            row(f"  chapter {path.stem}", dt)
        row("cold build: every chapter, warm cache", total)
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/jupyter-book"), "build", ".", "--path-output", str(Path(tmp) / "site"),
                        "-q", "--all"], cwd=ROOT, check=True, capture_output=True)
        row("cold build: the site from the committed chapters", time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-cold", action="store_true", help="skip the cold build (its shared runs take ~15 min)")
    ap.add_argument("--skip-lab", action="store_true", help="skip the JupyterLab latency")
    ap.add_argument("--skip-browser", action="store_true", help="skip the in-page trainer")
    ap.add_argument("--skip-card", action="store_true", help="skip the report card of a new activation (~1.5 min)")
    args = ap.parse_args()
    engine()
    if not args.skip_lab:
        lab_latency()
    if not args.skip_browser:
        browser_training()
    if not args.skip_card:
        card_time()
    if not args.skip_cold:
        cold_build()
    print("\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in ROWS))


if __name__ == "__main__":
    main()
