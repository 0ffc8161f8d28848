"""Shared fixtures: a fixed thread count and small, fast configurations."""
import os

import pytest
import torch

from helpers import make_dataset, seed_everything


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Experiments cache into a temporary folder (subprocesses inherit it), never into .cache/."""
    os.environ["HELPERS_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _deterministic():
    seed_everything(0, threads=1)
    torch.set_flush_denormal(False)


@pytest.fixture(scope="session")
def data():
    return make_dataset()
