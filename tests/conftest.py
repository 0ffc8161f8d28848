"""Shared fixtures: a fixed thread count and small, fast configurations."""
import pytest
import torch

from helpers import make_dataset, seed_everything


@pytest.fixture(autouse=True)
def _deterministic():
    seed_everything(0, threads=1)
    torch.set_flush_denormal(False)


@pytest.fixture(scope="session")
def data():
    return make_dataset()
