"""`python -m helpers precompute`: every shared run of the book into the cache, piece by piece (one
activation at a time, mostly), `jobs` processes with one thread each, the most expensive pieces first;
chapters then only load."""
from __future__ import annotations

import multiprocessing as mp
import time


def _run_one(task: tuple[str, str]) -> tuple[str, str, float]:
    import threading

    from tqdm import tqdm

    from .. import seed_everything
    from . import bundle, registry
    bundle.off()   # a worker computes every piece; the repository's bundle serves only a reader's miss
    # tqdm's default lock is a multiprocessing semaphore that a spawned worker never releases
    # (Python then warns of a "leaked semaphore"); one process draws no bars across processes.
    tqdm.set_lock(threading.RLock())
    seed_everything(0, threads=1)
    t = time.perf_counter()
    registry.compute(*task)
    return task[0], task[1], time.perf_counter() - t


def precompute(jobs: int = 2, names: list[str] | None = None, log=print) -> dict[str, float]:
    """Compute (or load) the named runs (default: all); returns the seconds each run's pieces took."""
    from . import registry
    valid = ["seed_run"] + list(registry.RUNS)
    unknown = [n for n in names or [] if n not in valid]
    if unknown:
        raise ValueError(f"unknown run {unknown[0]!r}; valid choices: {', '.join(valid)}")
    if jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs}")
    todo = [(run, piece) for run, piece, _ in registry.tasks() if not names or run in names]
    took: dict[str, float] = {}
    with mp.get_context("spawn").Pool(jobs) as pool:
        for run, piece, seconds in pool.imap_unordered(_run_one, todo):
            took[run] = took.get(run, 0.0) + seconds
            log(f"precomputed {run}:{piece} ({seconds:.0f} s)")
    return took


# Minutes of one process per unit of Run.cost, measured: every piece of the book computed on 2 cores, one process
# per core, took 6,057 process-seconds for its 3,785 units (each piece's own time, summed).
MINUTES_PER_COST = 6057 / 60 / 3785


def missing(runs: list[str] | None = None) -> list[tuple[str, str, float]]:
    """The pieces (run, piece, cost) of the named runs (default: all) that are not in the cache yet."""
    from . import cache, registry
    out = []
    with cache.probing():
        for run, piece, cost in registry.tasks():
            if runs is None or run in runs:
                try:
                    registry.compute(run, piece)
                except cache.Missing:
                    out.append((run, piece, cost))
    return out


def minutes(pieces: list[tuple[str, str, float]]) -> float:
    """About how many minutes computing these pieces takes in one process on this project's machines."""
    return MINUTES_PER_COST * sum(cost for _, _, cost in pieces)


def compute_missing(runs: list[str] | None = None, log=print) -> None:
    """Compute what the named runs lack, saying first what and about how long, then one line per piece."""
    todo = missing(runs)
    if not todo:
        return
    log(f"computing {len(todo)} piece(s) of {', '.join(dict.fromkeys(r for r, _, _ in todo))} that the cache "
        f"lacks: about {max(1, round(minutes(todo)))} minute(s) on this machine (`make precompute` computes every "
        "run of the book beforehand, in two processes)")
    t0 = time.perf_counter()
    from . import registry
    for i, (run, piece, _) in enumerate(todo, 1):
        registry.compute(run, piece)
        log(f"  [{i}/{len(todo)}] {run}:{piece} done, {time.perf_counter() - t0:.0f} s in all")
