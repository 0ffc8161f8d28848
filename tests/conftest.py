"""Shared fixtures: a fixed thread count and small, fast configurations."""
import pytest
import torch

from helpers import make_dataset, seed_everything


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
