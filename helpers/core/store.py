"""Results as self-describing files: one .npz of arrays plus JSON metadata, written atomically.

    from helpers.core.store import load
    r = load("activation_functions/baseline.npz")
    r.sel("grad_w", activation="relu", grad_epoch=100)   # [seed, layer]; r.describe() lists all

No pickle anywhere: the metadata (config, coordinates, dims and units of every array, versions)
is a JSON string stored inside the same archive, so a file cannot lose its description.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

FORMAT = "activation-book-results/1"
_META_KEY = "__meta__"


class ResultsFileError(ValueError):
    """A results file that is missing, truncated, corrupt or not ours."""


@dataclass
class Results:
    """Named arrays, each with named dims; coordinates say what every index means."""

    arrays: dict[str, np.ndarray]
    dims: dict[str, tuple[str, ...]]
    coords: dict[str, list]
    meta: dict = field(default_factory=dict)  # config, units, docs, versions

    def __post_init__(self):
        for name, arr in self.arrays.items():
            dims = self.dims.get(name)
            if dims is None or len(dims) != arr.ndim:
                raise ValueError(f"array {name!r} of shape {arr.shape} needs dims, got {dims}")
            for dim, n in zip(dims, arr.shape):
                if dim in self.coords and len(self.coords[dim]) != n:
                    raise ValueError(f"array {name!r}: dim {dim!r} has {n} entries but "
                                     f"{len(self.coords[dim])} coordinates")

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.arrays:
            raise KeyError(f"no array {name!r}; this file has: {', '.join(self.arrays)}")
        return self.arrays[name]

    def index(self, dim: str, value) -> int:
        """Position of a coordinate value along dim (e.g. index('activation', 'relu'))."""
        values = self.coords[dim]
        if value not in values:
            raise ValueError(f"{dim}={value!r} is not in this file; valid choices: {values}")
        return values.index(value)

    def sel(self, name: str, **where) -> np.ndarray:
        """Array `name` with the given dims fixed by coordinate value, e.g. sel('loss', activation='relu')."""
        arr, dims = self[name], list(self.dims[name])
        for dim, value in where.items():
            if dim not in dims:
                raise ValueError(f"array {name!r} has no dim {dim!r}; its dims: {dims}")
            axis = dims.index(dim)
            arr = np.take(arr, self.index(dim, value), axis=axis)
            dims.pop(axis)
        return arr

    def describe(self) -> str:
        """One line per array: name, dims with sizes, units, meaning."""
        docs = self.meta.get("arrays", {})
        lines = []
        for name, arr in self.arrays.items():
            shape = ", ".join(f"{d}={n}" for d, n in zip(self.dims[name], arr.shape))
            doc = docs.get(name, {})
            lines.append(f"{name} [{shape}] ({doc.get('units', '-')}): {doc.get('doc', '')}")
        return "\n".join(lines)


def versions() -> dict[str, str]:
    import torch

    from .. import __version__
    return {"helpers": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "machine": platform.machine()}


def save(results: Results, path: str | os.PathLike) -> Path:
    """Write atomically: a reader sees the old file or the complete new one, never a torn one."""
    meta = dict(results.meta, format=FORMAT, dims={k: list(v) for k, v in results.dims.items()},
                coords=results.coords, created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return write_atomically(path, lambda f: np.savez_compressed(
        f, **results.arrays, **{_META_KEY: np.array(json.dumps(meta))}))


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """write(f) into a temporary file beside `path`, then rename it over `path` (atomic on one file system),
    readable by all as the umask allows; a failed write leaves no file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; a results file is for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_meta(path: str | os.PathLike) -> dict:
    """Only the metadata of a results file (cheap: the arrays are not read)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z[_META_KEY]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise ResultsFileError(f"{path} is not a readable results file ({type(e).__name__}: {e})") from None


def load(path: str | os.PathLike) -> Results:
    """Read a file written by save(); any damage is a ResultsFileError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ResultsFileError(f"no results file at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}  # read everything now, so damage shows up here
        meta = json.loads(str(arrays.pop(_META_KEY)))
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
        dims = {k: tuple(v) for k, v in meta.pop("dims").items()}
        coords = meta.pop("coords")
        return Results(arrays, dims, coords, meta)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise ResultsFileError(f"{path} is not a readable results file ({type(e).__name__}: {e}); "
                               "it may be truncated or corrupt: delete it and rerun the command "
                               "that wrote it") from None
