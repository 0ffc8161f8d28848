"""Shared fixtures: a fixed thread count and small, fast configurations."""
import os

import pytest
import torch

from helpers import make_dataset, seed_everything
from helpers.experiments import precompute

# Tests check what the code computes: the repository's bundle of the chapters' data (helpers.experiments.bundle)
# never stands in for a run here, except in the test of the bundle itself.
os.environ.setdefault("HELPERS_NO_BUNDLE", "1")


def book_runs_ready() -> bool:
    """Whether tests that read the book's shared runs may run: REQUIRE_RUNS=1 (`make verify`, which computed
    them; never skip there), or every piece of every run cached for this code and machine path (`make precompute`
    ran): the seed run alone is not enough, or these tests would compute the rest (an hour)."""
    return bool(os.environ.get("REQUIRE_RUNS")) or not precompute.missing()


NO_RUNS = "the book's shared runs are not cached: `make precompute` (or `make verify`) first"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Experiments cache into a temporary folder (subprocesses inherit it), never into .cache/;
    monkeypatch restores the environment after each test, so notebook kernels started later by
    nbval in the same process still find the shared .cache/."""
    monkeypatch.setenv("HELPERS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _deterministic():
    seed_everything(0, threads=1)
    torch.set_flush_denormal(False)


@pytest.fixture(scope="session")
def data():
    return make_dataset()


def glued(path) -> dict[str, str]:
    """The values glued (myst_nb.glue) in an executed notebook, by name, as they display."""
    import json
    from pathlib import Path
    out = {}
    for cell in json.loads(Path(path).read_text())["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                out[name] = o["data"]["application/papermill.record/text/plain"]
    return out
