"""The published site's in-page trainer (chapter 7): one HTML block whose JavaScript (browser_trainer.js, next to
this file) trains an MLP with TensorFlow.js while the reader watches, offline, without a kernel. TensorFlow.js
and its WASM backend come from the npm registry at build time (Makefile: book/_vendor/tfjs), never from a CDN.

Everything the page needs to train on the book's problem is exported from here: the 200 noisy points of data
seed 0 and the clean curve, the landmarks, Adam's settings, the settings' ranges (shared with the live
explorer, helpers.interactive.widgets), each activation's on-interval (what "off" means,
helpers.experiments.explorer_stats) and the divergence rule (helpers.analysis.failure). Notebook call site:
`browser_trainer.html()`.
"""
from __future__ import annotations

import html as _html
import math
import uuid
from pathlib import Path

import numpy as np

from ..analysis.failure import EXPLODED
from ..core import activations
from ..core.config import TrainConfig
from ..core.data import landmarks, make_dataset, on_training_interval
from ..core.models import INITS
from ..engine.blocks import VARIANTS
from ..experiments import at_init
from ..experiments.explorer_stats import on_interval
from ..plotting.style import VARIANT_LABEL, colour, display_name
from .static_explorers import page_script

# The settings' ranges, shared by the live explorer and the in-page trainer.
DEPTHS, WIDTHS = (1, 50), (8, 16, 32, 64, 128)
LR_RANGE, EPOCH_RANGE = (1e-4, 1.0), (10, 500)
ADAM_BETAS = (0.9, 0.999)   # torch.optim.Adam's defaults, which the book trains with
# what the page loads, relative to the site's _static folder (the Makefile vendors them there)
SCRIPTS = ("tfjs/tf.min.js", "tfjs/tf-backend-wasm.min.js", "tfjs/wasm-binaries.js")
JS = Path(__file__).with_name("browser_trainer.js")
BUILT_IN = activations.STACK_ACTIVATIONS   # what the JavaScript implements; anything else comes as a formula
# chapter 12's four, as formulas a reader can edit (helpers.byo.custom.formula's grammar, which the page parses too)
FORMULA_PRESETS = {"Mish": "x * tanh(softplus(x))", "Softplus": "softplus(x)", "Sine": "sin(x)",
                   "Snake (a = 1)": "x + sin(x)^2"}
FORMULA_COLOUR = "#6C3483"


def payload() -> dict:
    """The data and rules the page trains with (JSON-ready; an infinite end of an on-interval is None)."""
    data = make_dataset()
    marks = landmarks(data)
    wide = data.x_wide[:, 0].numpy()
    inside = on_training_interval(wide)
    finite = lambda v: None if math.isinf(v) else v
    return {"x": data.x[:, 0].tolist(), "y": data.y[:, 0].tolist(),
            "x_clean": wide[inside].tolist(), "y_clean": data.y_wide[:, 0].numpy()[inside].tolist(),
            "landmarks": marks, "loss_ylim": [10 ** math.floor(math.log10(marks["noise_floor"]) - 1),
                                              10 ** math.ceil(math.log10(EXPLODED * marks["constant"]) + 1)],
            "adam": [*ADAM_BETAS, TrainConfig().adam_eps], "exploded": EXPLODED,
            "leaky_slope": activations.LEAKY_SLOPE, "selu": [activations.SELU_ALPHA, activations.SELU_SCALE],
            "activations": {**{n: activations.get(n).label for n in BUILT_IN}, "formula": "your formula (below)"},
            "colours": {**{n: colour(n) for n in BUILT_IN}, "formula": FORMULA_COLOUR},
            "on_interval": {n: [finite(v) for v in on_interval(n)] for n in BUILT_IN},
            "inits": [*INITS, "critical"], "init_labels": {i: display_name(i) for i in (*INITS, "critical")},
            # chapter 9's critical init: He's Gaussian, every weight scaled to sigma_w^2 = the activation's edge
            "critical_scale": {n: at_init.case_scales("edge", [n])[0] for n in BUILT_IN},
            "layers": list(VARIANTS), "layer_labels": {v: VARIANT_LABEL[v] for v in VARIANTS},
            "depths": list(DEPTHS),
            "widths": list(WIDTHS), "lr_range": list(LR_RANGE),
            "epoch_range": list(EPOCH_RANGE)}


def html(static: str = "../_static") -> str:
    """The trainer's block: controls, four canvases (loss, fit, ||dL/dh_l||, units off), a status line."""
    p = payload()
    uid = "abt" + uuid.uuid5(uuid.NAMESPACE_URL, "browser-trainer").hex[:10]
    select = lambda key, options, value: (
        f'<label>{key} <select data-key="{key}">' + "".join(
            f'<option value="{v}"{" selected" if v == value else ""}>{_html.escape(str(t))}</option>'
            for v, t in options) + "</select></label>")
    slider = lambda key, lo, hi, step, value: (
        f'<label>{key} <input type="range" data-key="{key}" min="{lo}" max="{hi}" step="{step}" value="{value}"> '
        f'<b data-key="{key}-value"></b></label>')
    formula = ('<label>phi(x) = <input data-key="formula" type="text" size="22" spellcheck="false" '
               f'value="{_html.escape(FORMULA_PRESETS["Mish"])}"></label>')
    controls = [select("activation", p["activations"].items(), "relu"), formula,
                select("preset", [("", "presets ...")] + [(v, k) for k, v in FORMULA_PRESETS.items()], ""),
                select("layer", [(v, VARIANT_LABEL[v]) for v in VARIANTS], "plain"),
                select("deep", [("", "deep half: same")] + [(n, f"deep half: {activations.get(n).label}")
                                                           for n in BUILT_IN], ""),
                slider("depth", *DEPTHS, 1, 10),
                select("width", [(w, w) for w in WIDTHS], 64),
                select("init", [(i, display_name(i)) for i in p["inits"]], "torch_default"),
                slider("lr", *np.log10(LR_RANGE), 0.25, -3), slider("epochs", *EPOCH_RANGE, 10, 200),
                '<button data-key="train" type="button">train</button>',
                '<button data-key="pause" type="button" disabled>pause</button>',
                '<button data-key="step" type="button">step</button>',
                select("speed", [(0, "full speed"), (100, "100 epochs/s"), (20, "20 epochs/s")], 0)]
    canvases = "".join('<canvas width="330" height="210"></canvas>' for _ in range(4))
    libraries = "".join(f'<script src="{static}/{s}"></script>' for s in SCRIPTS)
    return (f'<div class="ab-trainer" id="{uid}" style="font:13px sans-serif;margin:0.5em 0">'
            f'<div style="display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin-bottom:0.4em">'
            f'{"".join(controls)}</div><div style="display:flex;flex-wrap:wrap;gap:0.3em">{canvases}</div>'
            f'<div class="ab-status" style="min-height:1.3em">loading TensorFlow.js ...</div>'
            f'<div class="ab-ghost" style="color:#777;min-height:1.3em"></div></div>'
            + libraries + page_script(uid, p, JS))
