"""Chapter 7, the playground: the few measured numbers its suggestions quote, from the shared runs."""
from __future__ import annotations

import math

from ..analysis import stats
from ..analysis.measures import layer_ratio
from ..experiments import registry
from . import chapter


def findings() -> dict:
    sweep = registry.init_sweep()
    f: dict = {}
    for depth in (20, 50):
        g = sweep.sel("grad_h", case="torch_default", activation="sigmoid", depth=depth)
        f[f"sigmoid_d{depth}_orders"] = round(-math.log10(stats.geo_mean(layer_ratio(g))))
    f["depth_lr_max_20"] = chapter("stability")["depth_lr_max_20"]
    return f
