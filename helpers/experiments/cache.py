"""The result cache: each named experiment is computed once per configuration, code and machine
path, and loaded afterwards (the CLI, `python -m helpers precompute` and every chapter share it).

A file's key hashes (1) the experiment's parameters, (2) the source of the code that computes it, by a folder
rule: core/ and engine/, which every run goes through, and the modules the run names with what they import (never
plotting, findings or widgets: a colour change recomputes nothing), and (3) what changes
the numbers on this machine: torch, numpy and scikit-learn versions and the CPU code path (ATen's vector
instructions, MKL's instruction limit). Thread counts do not change the numbers (a test checks
that 1 and 2 threads give bit-identical runs), so they are not part of the key.

Where: $HELPERS_CACHE_DIR, else .cache/ in the book's root (the nearest folder above the working
directory that holds _toc.yml), else .cache/ in the working directory.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import pickle
import sys
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import numpy as np

from ..core import store
from . import bundle

ENV = "HELPERS_CACHE_DIR"
PACKAGE = Path(__file__).resolve().parent.parent
# The folder rule: every run goes through these folders (and the package's __init__), so every key hashes them.
# Any other module enters a key only when a run names it (cached(modules=...)), together with what it imports.
ALWAYS = ("core", "engine")


def folder() -> Path:
    """The cache folder (see the module docstring)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    here = Path.cwd().resolve()
    for p in (here, *here.parents):
        if (p / "_toc.yml").is_file():
            return p / ".cache"
    return here / ".cache"


@lru_cache(maxsize=None)
def code_hash(modules: tuple[str, ...] = ()) -> str:
    """Hash of the source of core/, engine/ and helpers/__init__.py, plus the modules named (dotted, under
    helpers: "theory", "experiments.at_init") and every module of helpers they import (16 hex digits)."""
    files = {f for top in ALWAYS for f in (PACKAGE / top).rglob("*.py")} | {PACKAGE / "__init__.py"}
    files |= {_file(m) for m in imported(modules)}
    return _hash(sorted(files))


def imported(modules: tuple[str, ...]) -> set[str]:
    """The modules named and, transitively, every helpers module they import, outside the folders every key hashes."""
    seen, todo = set(), list(modules)
    while todo:
        m = todo.pop()
        if m in seen or m.split(".")[0] in ALWAYS:
            continue
        if _file(m) is None:
            raise ValueError(f"cache: no module helpers.{m} to name in a run's key")
        seen.add(m)
        todo.extend(_imports(_file(m)))
    return seen


def _file(module: str) -> Path | None:
    """helpers/<module>.py, or the package's __init__.py; None if neither exists."""
    p = PACKAGE.joinpath(*module.split("."))
    return next((f for f in (p.with_suffix(".py"), p / "__init__.py") if f.is_file()), None)


def _imports(f: Path) -> set[str]:
    """The helpers modules that f imports (relative imports, anywhere in the file), and the packages they sit in."""
    pkg = f.parent.relative_to(PACKAGE).parts
    found = set()
    for node in ast.walk(ast.parse(f.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = [*pkg[:len(pkg) - node.level + 1], *(node.module.split(".") if node.module else [])]
            found.update(".".join(base[:i]) for i in range(1, len(base) + 1))
            found.update(".".join([*base, a.name]) for a in node.names)
    return {m for m in found if _file(m)}


def _hash(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(PACKAGE).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def machine() -> dict[str, str]:
    """What, besides parameters and code, changes the numbers: versions (scikit-learn's splits the digits) and
    the CPU code path."""
    import torch
    return {"torch": torch.__version__, "numpy": np.__version__, "scikit-learn": version("scikit-learn"),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "mkl_instructions": os.environ.get("MKL_ENABLE_INSTRUCTIONS", "native")}


def path(name: str, key: dict, where: str | Path | None = None, modules: tuple[str, ...] = ()) -> Path:
    """Where cached(name, key) keeps its result."""
    ident = json.dumps({"key": key, "code": code_hash(modules), "machine": machine()}, sort_keys=True, default=str)
    return Path(where or folder()) / f"{name}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.npz"


class Missing(LookupError):
    """Raised by cached() while probing() for a result that is not in the cache."""


_PROBING: list = [False, None]


@contextmanager
def probing(found: list | None = None):
    """Within it, cached() computes and loads nothing: it returns None for a result in the cache (or in the book's
    bundle) and raises Missing for one that is not (how `precompute.missing` tells what a command would have to
    compute). With `found`, it notes (name, key, path in the cache) of every result asked for and raises nothing."""
    _PROBING[:] = [True, found]
    try:
        yield
    finally:
        _PROBING[:] = [False, None]


def cached(name: str, key: dict, compute: Callable[[], store.Results], where: str | Path | None = None,
           log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
           modules: tuple[str, ...] = ()) -> store.Results:
    """compute() once per (name, key, code, machine path); later calls load the file it wrote. An
    unreadable file (truncated, corrupt, not ours) is a miss: one line says so, and it is recomputed. A miss that
    the book's bundle holds (helpers.experiments.bundle) is read from there instead of computed.
    `modules`: modules outside core/ and engine/ the computation also runs, e.g. ("experiments.at_init",)."""
    p = path(name, key, where, modules)
    if _PROBING[0]:
        if _PROBING[1] is not None:
            _PROBING[1].append((name, key, p))
            return None
        if p.exists() or bundle.has(name, key):
            return None
        raise Missing(name)
    if p.exists():
        try:
            return store.load(p)
        except store.ResultsFileError as e:
            log(f"cache: {e.args[0].split(' (')[0]}: unreadable, recomputing {name}")
    elif where is None and (res := bundle.load(name, key)) is not None:
        return res
    res = compute()
    res.meta["cache"] = {"name": name, "code": code_hash(), "modules": list(modules),
                         "code_with_modules": code_hash(modules), "machine": machine()}
    store.save(res, p)
    return res


def derived(name: str, compute: Callable[[], object], where: str | Path | None = None,
            log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> object:
    """compute() once per (name, the whole package's source, machine path, library versions), for values
    derived from cached runs (a chapter's findings: the chapter, the summary and the within-spread check all ask
    for them). Keyed by every module, presentation included (a finding's table is formatted there), and
    pickled; an unreadable file is a miss, and a file that cannot be written only costs the next reader time."""
    ident = json.dumps({"code": _package_hash(), "machine": machine(), "python": sys.version.split()[0],
                        "scipy": version("scipy")}, sort_keys=True)
    p = Path(where or folder()) / f"{name}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.pkl"
    if p.exists():
        try:
            return pickle.loads(p.read_bytes())[1]
        except Exception:   # truncated, corrupt or written by other classes: recompute
            log(f"cache: {p.name}: unreadable, recomputing {name}")
    value = compute()
    try:
        store.write_atomically(p, lambda f: pickle.dump(({"code": _package_hash()}, value), f))
    except (OSError, pickle.PicklingError) as e:
        log(f"cache: could not write {p.name} ({e}); {name} is computed again next time")
    return value


@lru_cache(maxsize=None)
def _package_hash() -> str:
    return _hash(sorted(PACKAGE.rglob("*.py")))


def prune(where: str | Path | None = None) -> list[Path]:
    """Delete cache files written by other code than the current one, unreadable files and leftovers
    of interrupted writes; entries of other machine paths (e.g. make verify's) are kept. Returns them."""
    gone = []
    for p in sorted(Path(where or folder()).glob("*")):
        stale = {".npz": _stale, ".pkl": _stale_derived}.get(p.suffix, lambda p: False)
        if p.name.endswith(".tmp") or stale(p):
            p.unlink()
            gone.append(p)
    return gone


def _stale_derived(p: Path) -> bool:
    try:
        with open(p, "rb") as f:
            return pickle.load(f)[0]["code"] != _package_hash()
    except Exception:
        return True


def _stale(p: Path) -> bool:
    try:
        meta = store.read_meta(p).get("cache", {})
    except store.ResultsFileError:
        return True
    return meta.get("code_with_modules") != code_hash(tuple(meta.get("modules", ())))
