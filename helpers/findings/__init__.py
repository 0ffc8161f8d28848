"""What each chapter states, computed once from the book's cached runs (helpers.experiments.registry): one function
per chapter returns its named numbers (rounded by helpers.analysis.stats) and tables (helpers.findings.tables). The
chapter glues and prints them; the summary and report.md merge the very same values."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def chapter(name: str) -> dict:
    """The findings of one chapter module (seed, gradients, sparsity, ..., stacks): computed once per code and
    machine path (helpers.experiments.cache.derived), so the summary and the checks load what the chapter computed."""
    from importlib import import_module

    from ..experiments import cache
    return cache.derived(f"findings_{name}", lambda: import_module(f"{__name__}.{name}").findings())


def glue(values: dict, names: list[str] | None = None) -> None:
    """Glue every number (not the tables) under its name, for {glue:}`name` in the chapter's prose."""
    import numpy as np
    from myst_nb import glue as _glue

    from ..analysis.stats import Text
    for name, value in values.items():
        if (names is None or name in names) and isinstance(value, (int, float, str, np.generic)):
            value = value.item() if isinstance(value, np.generic) else value
            _glue(name, Text(value) if isinstance(value, str) else value, display=False)   # words without quotes
