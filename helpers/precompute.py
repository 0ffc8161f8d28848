"""`python -m helpers precompute`: every shared run of the book into the cache, piece by piece (one
activation at a time, mostly), `jobs` processes with one thread each, the most expensive pieces first;
chapters then only load."""
from __future__ import annotations

import multiprocessing as mp
import time


def _run_one(task: tuple[str, str]) -> tuple[str, str, float]:
    import threading

    from tqdm import tqdm

    from . import book, seed_everything
    # tqdm's default lock is a multiprocessing semaphore that a spawned worker never releases
    # (Python then warns of a "leaked semaphore"); one process draws no bars across processes.
    tqdm.set_lock(threading.RLock())
    seed_everything(0, threads=1)
    t = time.perf_counter()
    book.compute(*task)
    return task[0], task[1], time.perf_counter() - t


def precompute(jobs: int = 2, names: list[str] | None = None, log=print) -> dict[str, float]:
    """Compute (or load) the named runs (default: all); returns the seconds each run's pieces took."""
    from . import book
    valid = ["seed_run"] + list(book.RUNS)
    unknown = [n for n in names or [] if n not in valid]
    if unknown:
        raise ValueError(f"unknown run {unknown[0]!r}; valid choices: {', '.join(valid)}")
    if jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs}")
    todo = [(run, piece) for run, piece, _ in book.tasks() if not names or run in names]
    took: dict[str, float] = {}
    with mp.get_context("spawn").Pool(jobs) as pool:
        for run, piece, seconds in pool.imap_unordered(_run_one, todo):
            took[run] = took.get(run, 0.0) + seconds
            log(f"precomputed {run}:{piece} ({seconds:.0f} s)")
    return took
