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


def where(name: str) -> list[str]:
    """Where a glued name is made: 'file:line key' for every literal or f-string key of the findings modules that
    can produce it (`python -m helpers glue NAME`). Many keys are built with f-strings (one per activation or
    layer type), so the name a chapter's prose uses cannot be found by grep; this finds it. Keys whose fixed text
    says little (under 4 characters, such as f"{a}_{b}") are listed only when nothing more specific matches."""
    import re
    found = [(fixed, place) for fixed, pattern, place in _keys() if re.fullmatch(pattern, name)]
    specific = [place for n, place in found if n >= 4]
    return specific or [place for _, place in found]


@lru_cache(maxsize=None)
def _keys() -> tuple[tuple[int, str, str], ...]:
    """Every key the findings modules store (subscript targets, dict literals): (characters of fixed text, a regex
    of the names it can take, 'file:line key')."""
    import ast
    import re
    from pathlib import Path
    out = []
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
                keys = [node.slice]
            elif isinstance(node, ast.Dict):
                keys = [k for k in node.keys if k is not None]
            else:
                continue
            for key in keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    out.append((len(key.value), re.escape(key.value), f"{path.name}:{key.lineno} {key.value!r}"))
                elif isinstance(key, ast.JoinedStr):
                    fixed = "".join(v.value for v in key.values if isinstance(v, ast.Constant))
                    pattern = "".join(re.escape(v.value) if isinstance(v, ast.Constant) else r"[A-Za-z0-9_.+-]+"
                                      for v in key.values)
                    out.append((len(fixed), pattern, f"{path.name}:{key.lineno} {ast.unparse(key)}"))
    return tuple(out)
