"""Static explorers: controls over precomputed numbers, for the site without a kernel.

Each is one self-contained HTML block: controls, SVG panels, the numbers as JSON and the drawing code
(static_explorers.js, inlined). No CDN, no widget manager: they work offline on the published site. Each panel
keeps one y range for every setting (so a 40-decade drop looks like one), draws real tick labels and,
where it helps, a reference line; a "compare with" menu overlays a second activation. Notebook call
sites are one line (`static_explorers.init_explorer()`); the live, kernel-backed counterparts are in
helpers.interactive.widgets.
"""
from __future__ import annotations

import html
import json
import math
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.data import from_description, on_training_interval
from ..core.models import INITS
from ..engine.blocks import VARIANTS
from ..plotting.style import colour, display_name

JS = Path(__file__).with_name("static_explorers.js")   # the drawing code, shared by every explorer


@dataclass
class Panel:
    """One SVG chart: x values (or per-record 'x'), a log or linear y axis, a fixed y range (computed
    over every record if not given) and an optional horizontal reference line."""

    name: str
    title: str
    xlabel: str
    x: list[float]
    log: bool = False
    ylim: tuple[float, float] | None = None
    ref: float | None = None


@dataclass
class StaticExplorer:
    """Controls (name -> list of values; a slider for ordered numbers, else a dropdown), panels and
    records keyed by 'value|value|...' in the order of `keys`. Each record: panel name -> list of
    series {y, c (colour), w (width), d (dash)}. `compare` names the control that a "compare with"
    menu replaces to overlay a second record; `start` picks the setting shown first (control -> value, and
    "compare with" -> a value of the compared control), so the page opens on a comparison that teaches."""

    controls: dict[str, list]
    sliders: tuple[str, ...]
    panels: list[Panel]
    records: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    caption: str = ""
    compare: str | None = None
    start: dict = field(default_factory=dict)

    def _limits(self) -> None:
        for p in self.panels:
            if p.ylim is not None:
                continue
            ys = [v for rec in self.records.values() for s in rec.get(p.name, []) for v in s.get("y", [])
                  if v is not None and (not p.log or v > 0)]
            ys += [p.ref] if p.ref is not None else []
            if p.log:
                p.ylim = (math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys))))
            else:
                lo, hi = min(ys), max(ys)
                pad = 0.05 * (hi - lo or 1)
                p.ylim = (lo - pad, hi + pad)

    def html(self) -> str:
        self._limits()
        uid = "ab" + uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(list(self.controls)) + str(len(self.records))).hex[:10]
        ctrl = []
        labels = {name: [display_name(v) for v in values] for name, values in self.controls.items()}
        controls = dict(labels)
        if self.compare:
            controls["compare with"] = ["none"] + labels[self.compare]
        first = {name: list(self.controls[name]).index(v) for name, v in self.start.items()
                 if v in self.controls.get(name, [])}          # a start the controls lack is left out
        if self.start.get("compare with") in self.controls.get(self.compare, []):
            first["compare with"] = list(self.controls[self.compare]).index(self.start["compare with"]) + 1
        for name, values in controls.items():
            if name in self.sliders:
                ctrl.append(f'<label>{html.escape(name)} <input type="range" data-key="{name}" min="0" '
                            f'max="{len(values) - 1}" step="1" value="{first.get(name, len(values) // 2)}"> '
                            f'<b class="ab-val" data-for="{name}"></b></label>')
            else:
                opts = "".join(f'<option value="{i}"{" selected" if i == first.get(name, 0) else ""}>'
                               f'{html.escape(str(v))}</option>' for i, v in enumerate(values))
                ctrl.append(f'<label>{html.escape(name)} <select data-key="{name}">{opts}</select></label>')
        data = {"controls": self.controls, "labels": labels, "compare": self.compare,
                "panels": [p.__dict__ for p in self.panels], "records": self.records}
        return (f'<div class="ab-explorer" id="{uid}" style="font:13px sans-serif;margin:0.5em 0">'
                f'<div class="ab-controls" style="display:flex;gap:1.2em;flex-wrap:wrap;margin-bottom:0.4em">'
                f'{"".join(ctrl)}</div><div class="ab-title" style="font-weight:bold"></div>'
                f'<div class="ab-panels" style="display:flex;flex-wrap:wrap;gap:0.5em"></div>'
                f'<div style="color:#555">{html.escape(self.caption)}</div></div>' + page_script(uid, data, JS))


def page_script(uid: str, payload: dict, js: Path) -> str:
    """The script half of an HTML block with id `uid`: its numbers as JSON (the script reads them from the
    element `uid`-data) and the page script `js` with its __ID__ filled in. Shared with helpers.interactive.browser_trainer."""
    data = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    return (f'<script type="application/json" id="{uid}-data">{data}</script>'
            f"<script>{js.read_text().replace('__ID__', uid)}</script>")


def _round(values, digits: int = 4) -> list:
    """Numbers for the JSON payload, to `digits` significant digits (None where not finite)."""
    return [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in np.asarray(values, dtype=float).ravel()]


def init_explorer(names=None, depths=(1, 2, 5, 10, 20, 50), inits=INITS, layers=VARIANTS) -> str:
    """Activation (the book's nine and chapter 12's four unless `names` says otherwise) x init x layer type
    (helpers.engine.blocks' variants) x depth at initialisation, as a static explorer (HTML), from the cached
    registry_deep.explorer_grid."""
    from .. import byo
    from ..experiments.registry_deep import explorer_grid, explorer_names
    names = explorer_names() if names is None else tuple(names)
    with byo.extras_registered():
        return _init_explorer(explorer_grid(names, tuple(inits), tuple(layers), tuple(depths)), names, depths, inits,
                              layers)


def _init_explorer(grid, names, depths, inits, layers) -> str:
    panels = [Panel("h_std", "forward: std of h_l", "hidden layer l", [], log=True),
              Panel("active", "forward: active fraction", "hidden layer l", [], ylim=(0, 1)),
              Panel("grad_ratio", "backward: ||dL/dh_l|| / ||dL/dh_L||", "hidden layer l", [], log=True, ref=1.0)]
    ex = StaticExplorer({"activation": list(names), "init": list(inits), "layers": list(layers), "depth": list(depths)},
                        ("depth",), panels,
                        caption="Precomputed at initialisation, 3 seeds per setting (geometric mean), width 64. "
                                "Every setting shares each panel's y axis; the line at 1 is 'no change across "
                                "layers'.", compare="activation",
                        start={"activation": "sigmoid", "depth": 20, "compare with": "relu"})
    for name in names:
        for init in inits:
            for variant in layers:
                for depth in depths:
                    at = dict(activation=name, init=init, layers=variant, depth=depth)
                    ex.records[f"{name}|{init}|{variant}|{depth}"] = {
                        "x": list(range(1, depth + 1)),
                        **{p.name: [{"y": _round(grid.sel(p.name, **at)[:depth]), "c": colour(name), "w": 2}]
                           for p in panels}}
    return ex.html()


def dynamics_explorer(res, seed: int = 0, units: int = 6, points: int = 40) -> str:
    """Activation x epoch over a training run's logs, as a static explorer (HTML)."""
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    step = max(1, inside.sum() // 100)
    xi = x[inside][::step]
    clean = from_description(res.meta["config"]["data"]).y_wide[:, 0].numpy()[inside][::step]
    xh = np.asarray(res.coords["x_hidden"])
    pick = np.linspace(0, len(xh) - 1, points).round().astype(int)
    probe_layers = res.coords["probe_layer"]
    epochs = np.asarray(res.coords["epoch"])
    keep = np.unique(np.r_[0:len(epochs):max(1, len(epochs) // 100), len(epochs) - 1])   # ~100 epochs, the last too
    panels = [Panel("loss", "train MSE; grey line: this epoch", "epoch", _round(epochs[keep]), log=True),
              Panel("f", "learned function", "x", _round(xi), ylim=(-1.6, 1.6))]
    panels += [Panel(f"a{l}", f"layer {l}: a(x), {units} units", "x", _round(xh[pick])) for l in probe_layers]
    panels += [Panel("g", "||dL/dh_l|| per layer", "hidden layer l", _round(res.coords["layer"]), log=True)]
    ex = StaticExplorer({"activation": res.coords["activation"], "epoch": res.coords["record_epoch"]}, ("epoch",),
                        panels, caption=f"Seed {seed}; the gradient panel shows the nearest logged gradient epoch; "
                                        "each panel keeps its axes across epochs.", compare="activation",
                        start={"activation": "sigmoid", "epoch": 100, "compare with": "relu"})   # the plateau vs a fit
    for name in res.coords["activation"]:
        c = colour(name)
        pred = res.sel("pred", activation=name, seed=seed)[:, inside][:, ::step]
        hidden = res.sel("hidden", activation=name, seed=seed)                         # [epoch, probe, x, unit]
        loss = _round(res.sel("loss", activation=name, seed=seed)[keep])
        for e, epoch in enumerate(res.coords["record_epoch"]):
            ge = min(res.coords["grad_epoch"], key=lambda g: abs(g - epoch))
            rec = {"loss": [{"y": loss, "c": c, "w": 1.5}, {"v": int(epoch), "c": "#777777", "w": 1}],   # v: a cursor
                   "f": [{"y": _round(clean), "c": "#000000", "w": 1, "d": "4 3"}, {"y": _round(pred[e]), "c": c, "w": 2}],
                   "g": [{"y": _round(res.sel("grad_h", activation=name, seed=seed, grad_epoch=ge)), "c": c, "w": 2}]}
            for p, l in enumerate(probe_layers):
                rec[f"a{l}"] = [{"y": _round(hidden[e, p, pick, u], 3), "c": c, "w": 1} for u in range(units)]
            ex.records[f"{name}|{epoch}"] = rec
    return ex.html()

