"""Command line: `python -m helpers baseline --out activation_functions/`, `report`, `figures`, `card`,
`precompute`, `bundle`, `glue` and `cache`. Bad input stops with one line naming the valid choices, and exit code 2."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import seed_everything
from .core import activations, store
from .core.config import DTYPES, pick_device
from .core.data import make_dataset
from .core.models import INITS, SEED_NET, NetConfig
from .experiments import cache, precompute, registry


def _batch_size(text: str) -> int | None:
    if text == "full":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number or 'full', got {text!r}") from None


def _threads(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return n


MAX_EPOCHS = 100_000   # the book trains 500; 100,000 full-batch epochs of the seed run take hours on 2 cores


def _epochs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_EPOCHS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_EPOCHS:,}, got {text!r}")
    return n


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got an empty string (use . for this folder)")
    return text


def _writable(folder: Path) -> None:
    """Refuse, before any work, a folder we cannot write into."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ValueError(f"cannot write to output folder {folder}: {e.strerror or e}") from None


def cmd_baseline(args) -> None:
    from .findings import report
    out = Path(args.out)
    names = [activations.get(a).name for a in args.activations.split(",")]
    net = NetConfig(args.depth, args.width, args.init)
    cfg = registry.replace_train(registry.Baseline(tuple(names), args.seeds, net, device=args.device),
                                 epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, dtype=args.dtype)
    device = pick_device(args.device)
    _writable(out)
    seed_everything(0, threads=args.threads)
    n = len(make_dataset().x)
    batch = ("full batch" if args.batch_size is None else f"batches of {args.batch_size}" if args.batch_size < n
             else f"full batch (batch size {args.batch_size} >= the {n} training points)")
    print(f"baseline: {len(names)} activations x {args.seeds} seeds = {len(names) * args.seeds} models of "
          f"{net.depth} hidden layers x {net.width} units ({net.init} init), {args.epochs} epochs, {batch}, "
          f"lr {args.lr:g}, {args.dtype}, on {device}", flush=True)
    t0 = time.perf_counter()
    hit = registry.seed_run_cached(cfg)
    res = registry.seed_run(cfg, progress=sys.stderr.isatty())
    print(f"{'loaded the identical earlier run from ' + str(cache.folder()) if hit else 'trained'} in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    command = " ".join(["python -m helpers"] + sys.argv[1:])
    for path in report.write_baseline(res, out, command):
        print(f"wrote {path}")


def _ours(path: Path) -> None:
    """Refuse, in one line, a file that is not a results file of this book at all (store.load says what is
    damaged in one that is)."""
    if not path.is_file():
        return
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise ValueError(f"{path} is empty (an interrupted copy?): rerun the command that wrote it")
    if head != b"PK\x03\x04":      # every .npz is a zip archive
        raise ValueError(f"{path} is not an .npz archive, so not a results file of this book "
                         "(`python -m helpers baseline` writes one)")
    try:
        with np.load(path, allow_pickle=False) as z:
            foreign = store._META_KEY not in z.files
    except Exception:      # a damaged archive: store.load says so
        return
    if foreign:
        raise ValueError(f"{path} is an .npz archive without this book's description (numpy.savez writes such "
                         "files), so not a results file of this book")


def cmd_report(args) -> None:
    from .findings import report
    _ours(Path(args.results))
    res = store.load(args.results)
    report.check_seed_run(res, args.results)
    out = Path(args.out) if args.out else Path(args.results).with_name("report.md")
    if out.is_dir():
        out = out / "report.md"
    _writable(out.parent)
    text = report.baseline_report(res)
    if not args.seed_only:
        precompute.compute_missing(log=lambda m: print(m, flush=True))
        print("writing the four answers from the book's shared runs", flush=True)
        text += "\n" + report.question_sections()
    out.write_text(text)
    print(f"wrote {out}")


def cmd_figures(args) -> None:
    from . import plotting
    from .core.data import make_dataset
    out = Path(args.out)
    _writable(out)
    print(f"wrote {plotting.save(plotting.activation_gallery(), out / 'activations.png')}")
    precompute.compute_missing(["seed_run"], log=lambda m: print(m, flush=True))   # the landing page's figure
    fig = plotting.learned_functions(registry.seed_run(), make_dataset())
    print(f"wrote {plotting.save(fig, out / 'learned_functions.png')}")


def cmd_card(args) -> None:
    from . import byo
    from .byo import card
    if args.formula in activations.ACTIVATIONS or args.formula.lower() in activations._ALIASES:
        name, formula = activations.get(args.formula).name, None           # a built-in: its card from fresh runs
    elif args.formula in byo.EXTRAS:                                      # chapter 12's: its cached runs
        byo.register_extras()
        name, formula = args.formula, f"preset:{args.formula}"
    else:
        name, formula = (args.name or "custom").strip().lower(), args.formula
        byo.register(name, byo.formula(formula), tex=formula)             # one line for a formula that fails
    out = Path(args.out or f"cards/{name}")
    _writable(out.parent)
    print(f"wrote {card.write(name, out, formula, log=lambda m: print(m, flush=True))}")


def cmd_precompute(args) -> None:
    from .experiments.precompute import precompute
    names = args.only.split(",") if args.only else None
    t0 = time.perf_counter()
    took = precompute(args.jobs, names, log=lambda m: print(f"{m}, {time.perf_counter() - t0:.0f} s in all",
                                                           flush=True))
    print(f"precompute: {len(took)} runs in {time.perf_counter() - t0:.0f} s into {cache.folder()}")


def cmd_bundle(args) -> None:
    from .experiments import bundle
    reads = bundle.recorded(args.reads)
    if not reads:
        raise ValueError(f"no record of the chapters' reads in {args.reads} (make notebooks writes it)")
    bundle.write(reads)


def cmd_glue(args) -> None:
    from . import findings
    places = findings.where(args.name)
    if not places:
        raise ValueError(f"no findings module makes the glued name {args.name!r}")
    print("\n".join(f"helpers/findings/{p}" for p in places))


def cmd_cache(args) -> None:
    if args.code_hash:
        print(cache.code_hash())
        return
    if args.prune:
        gone = cache.prune()
        print(f"removed {len(gone)} stale entries from {cache.folder()}")
        return
    entries = sorted(cache.folder().glob("*.npz"))
    print(f"{cache.folder()}: {len(entries)} entries, code {cache.code_hash()}, {cache.machine()}")


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line that names the problem and where the choices are, not the usage block."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (`{self.prog} --help` lists the options)\n")


def main(argv: list[str] | None = None) -> int:
    p = _Parser(prog="python -m helpers", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("baseline", help="the seed experiment: train, plot, report")
    b.add_argument("--out", type=_folder, default="activation_functions", help="output folder (default: %(default)s)")
    b.add_argument("--seeds", type=int, default=registry.SEEDS, help="number of seeds, 0..n-1 (default: %(default)s)")
    b.add_argument("--epochs", type=_epochs, default=500, help=f"1 to {MAX_EPOCHS:,} (default: %(default)s)")
    b.add_argument("--depth", type=int, default=SEED_NET.depth, help="hidden layers (default: %(default)s)")
    b.add_argument("--width", type=int, default=SEED_NET.width, help="units per hidden layer (default: %(default)s)")
    b.add_argument("--init", choices=INITS, default=SEED_NET.init, help="initialisation (default: %(default)s)")
    b.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    b.add_argument("--batch-size", type=_batch_size, default=None,
                   help="'full' (default: one step per epoch on all 200 points) or a mini-batch size")
    b.add_argument("--activations", default=",".join(registry.ACTS),
                   help=f"comma-separated, from: {', '.join(activations.ACTIVATIONS)} (default: the book's eight, "
                        "without SELU)")
    b.add_argument("--dtype", choices=list(DTYPES), default="float64",
                   help="float64 (default: rounding differences between CPUs stay in the last digits for most runs) "
                        "or float32")
    b.add_argument("--device", default="auto", help="auto (GPU if present), cpu or cuda")
    b.add_argument("--threads", type=_threads, default=2, help="torch CPU threads (default: %(default)s)")
    b.set_defaults(func=cmd_baseline)
    r = sub.add_parser("report", help="rewrite report.md from a stored baseline.npz")
    r.add_argument("results", help="path to baseline.npz")
    r.add_argument("--out", type=_folder, help="a file, or a folder to write report.md into (default: report.md "
                                                "next to the results file)")
    r.add_argument("--seed-only", action="store_true",
                   help="only the seed experiment's sections (no shared runs needed)")
    r.set_defaults(func=cmd_report)
    f = sub.add_parser("figures", help="the book's generated page figures (activation gallery, what each network "
                                       "learned)")
    f.add_argument("--out", type=_folder, default="book/_generated")
    f.set_defaults(func=cmd_figures)
    d = sub.add_parser("card", help="the report card of an activation: a formula in x (or a built-in's name) "
                                    "next to the book's eight")
    d.add_argument("formula", help="phi in terms of x, e.g. 'x * tanh(softplus(x))', or a built-in name such as relu")
    d.add_argument("--name", help="what to call it (a word; default: custom)")
    d.add_argument("--out", type=_folder, help="the card's folder (default: cards/NAME)")
    d.set_defaults(func=cmd_card)
    c = sub.add_parser("precompute", help="fill the cache with the book's shared runs, in parallel")
    c.add_argument("--jobs", type=_threads, default=2, help="processes, one thread each (default: %(default)s)")
    c.add_argument("--only", help=f"comma-separated subset of: {', '.join(registry.RUNS)}")
    c.set_defaults(func=cmd_precompute)
    u = sub.add_parser("bundle", help="the chapters' data for a fresh clone (data/runs/), from the cache and "
                                      "the record of what the chapters read")
    u.add_argument("reads", nargs="?", default=".cache/reads", help="the record's folder (default: %(default)s)")
    u.set_defaults(func=cmd_bundle)
    g = sub.add_parser("glue", help="where a number the chapters glue by name is computed (helpers/findings)")
    g.add_argument("name", help="the glued name, as the prose writes it, e.g. ds_off_batchnorm_relu_20")
    g.set_defaults(func=cmd_glue)
    k = sub.add_parser("cache", help="where the cache is and what it holds; --prune, --code-hash")
    k.add_argument("--prune", action="store_true", help="delete entries written by other code")
    k.add_argument("--code-hash", action="store_true", help="print the hash of the computing code")
    k.set_defaults(func=cmd_cache)
    args = p.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError) as e:  # bad input: one line, no traceback, nothing overwritten
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
