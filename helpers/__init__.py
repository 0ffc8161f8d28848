"""helpers: everything the book computes. Notebooks import from here; they never define their own
training loops, probes or plot styles (see DESIGN.md)."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from .core.activations import ACTIVATIONS, SEED_ACTIVATIONS  # noqa: F401
from .core.activations import get as get_activation
from .core.config import TrainConfig  # noqa: F401
from .core.data import landmarks, make_dataset  # noqa: F401
from .core.models import INITS, MLP, NetConfig, StackedMLP  # noqa: F401

__version__ = "0.1.0"
REPO = Path(__file__).resolve().parent.parent  # notebooks write activation_functions/ and .cache/ here


def seed_everything(seed: int = 0, threads: int = 1) -> None:
    """Seed Python, NumPy and torch, and fix torch's thread count so runs are bit-identical.

    (Results here were also found identical at 1 and 2 threads, but a fixed count is the promise.)
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
