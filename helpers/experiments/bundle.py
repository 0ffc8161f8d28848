"""The chapters' data, carried by the repository (data/runs/): every cached piece a chapter reads, cut to the arrays
the chapters read, so that a fresh clone opens each chapter in seconds instead of training for an hour.

A bundled piece is found by its run's name and parameters only, not by the code or the machine that computed it
(each file's metadata names both). So the cache, computed by the code at hand, always comes first: the bundle only
serves a piece the cache lacks, and never `make precompute` or `make verify`, which compute every piece
(HELPERS_NO_BUNDLE=1). `make bundle` rewrites it from the cache, after `make notebooks` has recorded which arrays of
which run the chapters read (HELPERS_RECORD_ACCESS names the folder of that record).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from ..core import store

FOLDER = Path(__file__).resolve().parents[2] / "data" / "runs"
OFF, RECORD = "HELPERS_NO_BUNDLE", "HELPERS_RECORD_ACCESS"
# Runs the bundle leaves out, and why: the seed run's logs of every hidden unit are 109 MB compressed, and `make book`
# (the first command a reader runs) trains it into the cache before it builds the site (it says how long first).
LEFT_OUT = {"seed_run": "make book trains it into the cache"}
_SAID = [False]


def enabled() -> bool:
    return not os.environ.get(OFF) and FOLDER.is_dir()


def off() -> None:
    """No bundle in this process (what make precompute's workers do: they compute)."""
    os.environ[OFF] = "1"


def path(name: str, key: dict) -> Path:
    ident = json.dumps({"name": name, "key": key}, sort_keys=True, default=str)
    return FOLDER / f"{name}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.npz"


def has(name: str, key: dict) -> bool:
    return enabled() and path(name, key).is_file()


def load(name: str, key: dict) -> store.Results | None:
    """The bundled piece, or None (no bundle, no such piece, or an unreadable file)."""
    if not has(name, key):
        return None
    try:
        res = store.load(path(name, key))
    except store.ResultsFileError:
        return None
    if not _SAID[0]:
        _SAID[0] = True
        print(f"runs not in the cache come from the book's data in {FOLDER} (as the pages were computed; "
              "`make precompute` computes them with this code)", file=sys.stderr)
    return res


class _Reading(dict):
    """A run's arrays that note each name read (membership checks and listings count as reads)."""

    def __init__(self, arrays: dict, run: str, log: Path):
        super().__init__(arrays)
        self._run, self._log, self._seen = run, log, set()

    def _note(self, names) -> None:
        new = [n for n in names if n not in self._seen]
        if new:
            self._seen.update(new)
            with open(self._log, "a") as f:
                f.writelines(f"{self._run}\t{n}\n" for n in new)

    def __getitem__(self, name):
        self._note([name])
        return super().__getitem__(name)

    def get(self, name, default=None):
        self._note([name])
        return super().get(name, default)

    def __contains__(self, name):
        self._note([name])
        return super().__contains__(name)

    def keys(self):
        self._note(list(super().keys()))
        return super().keys()

    def items(self):
        self._note(list(super().keys()))
        return super().items()

    def values(self):
        self._note(list(super().keys()))
        return super().values()


def record(res, run: str):
    """With HELPERS_RECORD_ACCESS set, res (Results, or a dict of them) notes every array read, under the run's
    name."""
    folder = os.environ.get(RECORD)
    if res is None:                       # probing (cache.probing) loads nothing
        return res
    if isinstance(res, dict):
        for value in res.values():
            record(value, run)
    elif folder and not isinstance(res.arrays, _Reading):
        folder = FOLDER.parents[1] / folder            # a relative path is the repository's (kernels run in notebooks/)
        folder.mkdir(parents=True, exist_ok=True)
        res.arrays = _Reading(res.arrays, run, folder / f"{os.getpid()}.tsv")
    return res


def recorded(folder: str | Path) -> dict[str, set[str]]:
    """run -> the names of its arrays that were read, from every process's record in folder."""
    out: dict[str, set[str]] = {}
    for f in Path(folder).glob("*.tsv"):
        for line in f.read_text().splitlines():
            run, name = line.split("\t")
            out.setdefault(run, set()).add(name)
    return out


def write(reads: dict[str, set[str]], tasks=None, compute=None, log=print) -> list[Path]:
    """Every cached piece of the runs in `reads`, cut to the arrays read, into FOLDER (which then holds nothing
    else). Every piece must be in the cache: a bundle is made from one complete computation. tasks and compute:
    the registry's (run, piece, cost) list and how a piece is computed (tests give their own)."""
    from . import cache, registry
    found: list[tuple[str, str, dict, Path]] = []
    for run, piece, _ in (registry.tasks() if tasks is None else tasks):
        if run in reads and run not in LEFT_OUT:
            seen: list[tuple[str, dict, Path]] = []
            with cache.probing(seen):
                (compute or registry.compute)(run, piece)
            found += [(run, *s) for s in seen]
    missing = [str(p) for *_, p in found if not p.is_file()]
    if missing:
        raise ValueError(f"bundle: {len(missing)} piece(s) not in the cache (run make precompute): {missing[:3]}")
    FOLDER.mkdir(parents=True, exist_ok=True)
    written = []
    for run, name, key, p in found:
        res = store.load(p)
        keep = {k: v for k, v in res.arrays.items() if k in reads[run]}
        meta = dict(res.meta, bundle={"run": run, "arrays_dropped": sorted(set(res.arrays) - set(keep))})
        if not _same(path(name, key), keep):     # an unchanged piece keeps its file: no churn in git's history
            store.save(store.Results(keep, {k: res.dims[k] for k in keep}, res.coords, meta), path(name, key))
        written.append(path(name, key))
    for old in set(FOLDER.glob("*.npz")) - set(written):
        old.unlink()
    log(f"bundle: {len(written)} pieces, {sum(p.stat().st_size for p in written) / 1e6:.1f} MB in {FOLDER}; left "
        f"out: {', '.join(f'{r} ({why})' for r, why in LEFT_OUT.items() if r in reads) or 'nothing'}")
    return written


def _same(p: Path, arrays: dict) -> bool:
    """Whether the bundled file at p holds exactly these arrays (NaN equal to NaN)."""
    try:
        old = store.load(p)
    except store.ResultsFileError:
        return False
    import numpy as np
    return set(old.arrays) == set(arrays) and all(
        old[k].shape == v.shape and np.array_equal(old[k], v, equal_nan=v.dtype.kind == "f")
        for k, v in arrays.items())

