"""Static explorers: controls over precomputed numbers, for the site without a kernel.

Each is one self-contained HTML block: controls, an SVG drawing area, the numbers as JSON and a few
dozen lines of inline JavaScript. No CDN, no widget manager: they work offline on the published
site. Notebook call sites are one line (`static_explorers.init_explorer()`); the live, kernel-backed
counterparts are in helpers.widgets.
"""
from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass, field

import numpy as np

from .data import on_training_interval
from .models import INITS
from .plotting.style import colour
from .widgets import init_statistics


@dataclass
class Panel:
    """One SVG chart of a static explorer: x values and, per record, a list of series."""

    name: str
    title: str
    xlabel: str
    x: list[float]
    log: bool = False
    ylim: tuple[float, float] | None = None


@dataclass
class StaticExplorer:
    """Controls (name -> list of values; a 'slider' for ordered numbers, else a dropdown), panels and
    records keyed by 'value|value|...' in control order. Each record: panel name -> list of series
    {y, c (colour), w (width), d (dash)}."""

    controls: dict[str, list]
    sliders: tuple[str, ...]
    panels: list[Panel]
    records: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    caption: str = ""

    def html(self) -> str:
        uid = "ab" + uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(list(self.controls))
                                + str(len(self.records))).hex[:10]
        ctrl = []
        for name, values in self.controls.items():
            if name in self.sliders:
                ctrl.append(f'<label>{html.escape(name)} <input type="range" data-key="{name}" min="0" '
                            f'max="{len(values) - 1}" step="1" value="{len(values) // 2}"> '
                            f'<b class="ab-val" data-for="{name}"></b></label>')
            else:
                opts = "".join(f'<option value="{i}">{html.escape(str(v))}</option>' for i, v in enumerate(values))
                ctrl.append(f'<label>{html.escape(name)} <select data-key="{name}">{opts}</select></label>')
        data = {"controls": self.controls, "panels": [p.__dict__ for p in self.panels], "records": self.records}
        payload = json.dumps(data, separators=(",", ":"), allow_nan=False)
        return (f'<div class="ab-explorer" id="{uid}" style="font:13px sans-serif;margin:0.5em 0">'
                f'<div class="ab-controls" style="display:flex;gap:1.2em;flex-wrap:wrap;margin-bottom:0.4em">'
                f'{"".join(ctrl)}</div><div class="ab-title" style="font-weight:bold"></div>'
                f'<div class="ab-panels" style="display:flex;flex-wrap:wrap;gap:0.5em"></div>'
                f'<div style="color:#555">{html.escape(self.caption)}</div></div>'
                f'<script type="application/json" id="{uid}-data">{payload}</script>'
                f"<script>{_JS.replace('__ID__', uid)}</script>")


def _round(values, digits: int = 4) -> list:
    """Numbers for the JSON payload, to `digits` significant digits (None where not finite)."""
    out = []
    for v in np.asarray(values, dtype=float).ravel():
        out.append(float(f"{v:.{digits}g}") if np.isfinite(v) else None)
    return out


def init_explorer(names=("identity", "sigmoid", "tanh", "relu", "leaky_relu", "gelu"),
                  depths=(1, 2, 5, 10, 20, 50), inits=INITS, width: int = 64) -> str:
    """Activation x init x depth at initialisation, as a static explorer (HTML)."""
    panels = [Panel("h_std", "forward: std of h_l", "hidden layer l", [], log=True),
              Panel("active", "forward: active fraction", "hidden layer l", [], ylim=(0, 1)),
              Panel("grad_h", "backward: ||dL/dh_l||", "hidden layer l", [], log=True)]
    ex = StaticExplorer({"activation": list(names), "init": list(inits), "depth": list(depths)}, ("depth",), panels,
                        caption="Precomputed for 3 seeds per setting (geometric mean); width 64. "
                                "Values of 0 or below 1e-300 are not drawn on log axes.")
    for name in names:
        for init in inits:
            for depth in depths:
                s = init_statistics(depth, width, name, init)
                ex.records[f"{name}|{init}|{depth}"] = {
                    "x": _round(s["layer"]),
                    **{p.name: [{"y": _round(s[p.name]), "c": colour(name), "w": 2}] for p in panels}}
    return ex.html()


def dynamics_explorer(res, seed: int = 0, units: int = 6, points: int = 40) -> str:
    """Activation x epoch over a training run's logs, as a static explorer (HTML)."""
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    xi = x[inside][:: max(1, inside.sum() // 100)]
    xh = np.asarray(res.coords["x_hidden"])
    pick = np.linspace(0, len(xh) - 1, points).round().astype(int)
    probe_layers = res.coords["probe_layer"]
    panels = [Panel("f", "learned function", "x", _round(xi), ylim=(-1.6, 1.6))]
    panels += [Panel(f"a{l}", f"layer {l}: a(x), {units} units", "x", _round(xh[pick])) for l in probe_layers]
    panels += [Panel("g", "||dL/dh_l|| per layer", "hidden layer l", _round(res.coords["layer"]), log=True)]
    ex = StaticExplorer({"activation": res.coords["activation"], "epoch": res.coords["record_epoch"]}, ("epoch",),
                        panels, caption=f"Seed {seed}; the gradient panel shows the nearest logged gradient epoch.")
    step = max(1, inside.sum() // 100)
    for name in res.coords["activation"]:
        c = colour(name)
        pred = res.sel("pred", activation=name, seed=seed)[:, inside][:, ::step]
        hidden = res.sel("hidden", activation=name, seed=seed)                         # [epoch, probe, x, unit]
        for e, epoch in enumerate(res.coords["record_epoch"]):
            ge = min(res.coords["grad_epoch"], key=lambda g: abs(g - epoch))
            rec = {"f": [{"y": _round(np.sin(xi)), "c": "#000000", "w": 1, "d": "4 3"},
                         {"y": _round(pred[e]), "c": c, "w": 2}],
                   "g": [{"y": _round(res.sel("grad_h", activation=name, seed=seed, grad_epoch=ge)), "c": c, "w": 2}]}
            for p, l in enumerate(probe_layers):
                rec[f"a{l}"] = [{"y": _round(hidden[e, p, pick, u], 3), "c": c, "w": 1} for u in range(units)]
            ex.records[f"{name}|{epoch}"] = rec
    return ex.html()


_JS = r"""
(function () {
  var root = document.getElementById("__ID__");
  var data = JSON.parse(document.getElementById("__ID__-data").textContent);
  var names = Object.keys(data.controls), W = 260, H = 190, L = 46, B = 34, T = 22, R = 8;
  var NS = "http://www.w3.org/2000/svg";
  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(v) { if (v === 0) return "0"; return Math.abs(v) >= 1e-2 && Math.abs(v) < 1e3 ? (+v.toPrecision(2)).toString() : v.toExponential(0); }
  function draw() {
    var idx = {}, key = [];
    root.querySelectorAll(".ab-controls [data-key]").forEach(function (c) { idx[c.dataset.key] = +c.value; });
    names.forEach(function (n) { key.push(data.controls[n][idx[n]]); });
    root.querySelectorAll(".ab-val").forEach(function (v) { v.textContent = data.controls[v.dataset.for][idx[v.dataset.for]]; });
    var rec = data.records[key.join("|")];
    var title = root.querySelector(".ab-title");
    title.textContent = names.map(function (n, i) { return n + " " + key[i]; }).join(", ");
    var box = root.querySelector(".ab-panels");
    box.innerHTML = "";
    data.panels.forEach(function (p) {
      var svg = el("svg", {width: W, height: H, "data-panel": p.name, "data-key": key.join("|")});
      var series = rec ? rec[p.name] : [];
      var xs = p.x.length ? p.x : rec.x, ys = [];
      series.forEach(function (s) { s.y.forEach(function (v) { if (v !== null && (!p.log || v > 1e-300)) ys.push(p.log ? Math.log10(v) : v); }); });
      var lo = p.ylim ? p.ylim[0] : Math.min.apply(null, ys), hi = p.ylim ? p.ylim[1] : Math.max.apply(null, ys);
      if (!isFinite(lo) || !isFinite(hi)) { lo = 0; hi = 1; }
      if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
      var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
      var sx = function (v) { return L + (v - x0) / (x1 - x0 || 1) * (W - L - R); };
      var sy = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
      svg.appendChild(el("rect", {x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999"}));
      svg.appendChild(el("text", {x: W / 2, y: 14, "text-anchor": "middle", "font-size": 12}, p.title));
      svg.appendChild(el("text", {x: W / 2, y: H - 4, "text-anchor": "middle", "font-size": 11}, p.xlabel));
      [lo, hi].forEach(function (v) {
        svg.appendChild(el("text", {x: L - 3, y: sy(v) + 4, "text-anchor": "end", "font-size": 10}, p.log ? "1e" + Math.round(v) : fmt(v)));
      });
      [x0, x1].forEach(function (v) { svg.appendChild(el("text", {x: sx(v), y: H - B + 13, "text-anchor": "middle", "font-size": 10}, fmt(v))); });
      series.forEach(function (s) {
        var d = "", pen = false;
        s.y.forEach(function (v, i) {
          if (v === null || (p.log && v <= 1e-300)) { pen = false; return; }
          var yv = p.log ? Math.log10(v) : v;
          yv = Math.max(lo, Math.min(hi, yv));
          d += (pen ? "L" : "M") + sx(xs[i]).toFixed(1) + "," + sy(yv).toFixed(1);
          pen = true;
        });
        svg.appendChild(el("path", {d: d, fill: "none", stroke: s.c, "stroke-width": s.w || 1, "stroke-dasharray": s.d || ""}));
      });
      box.appendChild(svg);
    });
  }
  root.querySelectorAll(".ab-controls [data-key]").forEach(function (c) { c.addEventListener("input", draw); c.addEventListener("change", draw); });
  draw();
})();
"""
