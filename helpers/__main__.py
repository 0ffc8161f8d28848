"""Command line: `python -m helpers baseline --out activation_functions/` and `... report`."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from . import activations, experiments, plotting, report, seed_everything, store
from .train import TrainConfig, pick_device

def _batch_size(text: str) -> int | None:
    if text == "full":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number or 'full', got {text!r}") from None


def _writable(folder: Path) -> None:
    """Refuse, before any work, a folder we cannot write into."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ValueError(f"cannot write to output folder {folder}: {e.strerror or e}") from None


def cmd_baseline(args) -> None:
    out = Path(args.out)
    names = [activations.get(a).name for a in args.activations.split(",")]
    cfg = experiments.Baseline(tuple(names), args.seeds, train=TrainConfig(
        epochs=args.epochs, lr=args.lr, batch_size=args.batch_size), device=args.device)
    device = pick_device(args.device)
    _writable(out)
    seed_everything(0, threads=args.threads)
    batch = "full batch" if args.batch_size is None else f"batches of {args.batch_size}"
    print(f"baseline: {len(names)} activations x {args.seeds} seeds = {len(names) * args.seeds} models, "
          f"{args.epochs} epochs, {batch}, lr {args.lr:g}, on {device}", flush=True)
    t0 = time.perf_counter()
    hit = experiments.cache_path("baseline", asdict(cfg)).exists()
    res = experiments.baseline(cfg, progress=sys.stderr.isatty())
    print(f"{'loaded the identical earlier run from .cache/' if hit else 'trained'} in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    command = " ".join(["python -m helpers"] + sys.argv[1:])
    for path in report.write_baseline(res, out, command):
        print(f"wrote {path}")


def cmd_report(args) -> None:
    res = store.load(args.results)
    out = Path(args.out) if args.out else Path(args.results).with_name("report.md")
    _writable(out.parent)
    text = report.baseline_report(res)
    if not args.seed_only:
        from . import summary
        print("loading the book's shared runs from .cache/ (computing any that are missing)", flush=True)
        text += "\n" + summary.question_sections()
    out.write_text(text)
    print(f"wrote {out}")


def cmd_figures(args) -> None:
    out = Path(args.out)
    _writable(out)
    print(f"wrote {plotting.save(plotting.activation_gallery(), out / 'activations.png')}")


def cmd_precompute(args) -> None:
    t0 = time.perf_counter()
    experiments.precompute(args.jobs, log=lambda m: print(f"{m} ({time.perf_counter() - t0:.0f} s)", flush=True))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("baseline", help="the seed experiment: train, plot, report")
    b.add_argument("--out", default="activation_functions", help="output folder (default: %(default)s)")
    b.add_argument("--seeds", type=int, default=5, help="number of seeds, 0..n-1 (default: %(default)s)")
    b.add_argument("--epochs", type=int, default=500, help="default: %(default)s")
    b.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    b.add_argument("--batch-size", type=_batch_size, default=None,
                   help="'full' (default: one step per epoch on all 200 points) or a mini-batch size")
    b.add_argument("--activations", default=",".join(activations.SEED_ACTIVATIONS),
                   help=f"comma-separated, from: {', '.join(activations.ACTIVATIONS)} (default: the seed five)")
    b.add_argument("--device", default="auto", help="auto (GPU if present), cpu or cuda")
    b.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s)")
    b.set_defaults(func=cmd_baseline)
    r = sub.add_parser("report", help="rewrite report.md from a stored baseline.npz")
    r.add_argument("results", help="path to baseline.npz")
    r.add_argument("--out", help="default: report.md next to the results file")
    r.add_argument("--seed-only", action="store_true",
                   help="only the seed experiment's sections (no shared runs needed)")
    r.set_defaults(func=cmd_report)
    f = sub.add_parser("figures", help="the book's generated page figures (activation gallery)")
    f.add_argument("--out", default="book/_generated")
    f.set_defaults(func=cmd_figures)
    c = sub.add_parser("precompute", help="fill .cache/ with the book's shared experiments, in parallel")
    c.add_argument("--jobs", type=int, default=2)
    c.set_defaults(func=cmd_precompute)
    args = p.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError) as e:  # bad input: one line, no traceback, nothing overwritten
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
