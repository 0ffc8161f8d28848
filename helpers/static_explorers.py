"""Static explorers: controls over precomputed numbers, for the site without a kernel.

Each is one self-contained HTML block: controls, SVG panels, the numbers as JSON and a few dozen lines
of inline JavaScript. No CDN, no widget manager: they work offline on the published site. Each panel
keeps one y range for every setting (so a 40-decade drop looks like one), draws real tick labels and,
where it helps, a reference line; a "compare with" menu overlays a second activation. Notebook call
sites are one line (`static_explorers.init_explorer()`); the live, kernel-backed counterparts are in
helpers.widgets.
"""
from __future__ import annotations

import html
import json
import math
import uuid
from dataclasses import dataclass, field

import numpy as np

from .data import from_description, on_training_interval
from .explorer_stats import init_statistics
from .models import INITS
from .plotting.style import colour


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
    menu replaces to overlay a second record."""

    controls: dict[str, list]
    sliders: tuple[str, ...]
    panels: list[Panel]
    records: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    caption: str = ""
    compare: str | None = None

    def _limits(self) -> None:
        for p in self.panels:
            if p.ylim is not None:
                continue
            ys = [v for rec in self.records.values() for s in rec.get(p.name, []) for v in s["y"]
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
        controls = dict(self.controls)
        if self.compare:
            controls["compare with"] = ["none"] + list(self.controls[self.compare])
        for name, values in controls.items():
            if name in self.sliders:
                ctrl.append(f'<label>{html.escape(name)} <input type="range" data-key="{name}" min="0" '
                            f'max="{len(values) - 1}" step="1" value="{len(values) // 2}"> '
                            f'<b class="ab-val" data-for="{name}"></b></label>')
            else:
                opts = "".join(f'<option value="{i}">{html.escape(str(v))}</option>' for i, v in enumerate(values))
                ctrl.append(f'<label>{html.escape(name)} <select data-key="{name}">{opts}</select></label>')
        data = {"controls": self.controls, "compare": self.compare, "panels": [p.__dict__ for p in self.panels],
                "records": self.records}
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
    return [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in np.asarray(values, dtype=float).ravel()]


def init_explorer(names=("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"),
                  depths=(1, 2, 5, 10, 20, 50), inits=INITS, width: int = 64) -> str:
    """Activation x init x depth at initialisation, as a static explorer (HTML)."""
    panels = [Panel("h_std", "forward: std of h_l", "hidden layer l", [], log=True),
              Panel("active", "forward: active fraction", "hidden layer l", [], ylim=(0, 1)),
              Panel("grad_ratio", "backward: ||dL/dh_l|| / ||dL/dh_L||", "hidden layer l", [], log=True, ref=1.0)]
    ex = StaticExplorer({"activation": list(names), "init": list(inits), "depth": list(depths)}, ("depth",), panels,
                        caption="Precomputed at initialisation, 3 seeds per setting (geometric mean), width 64. "
                                "Every setting shares each panel's y axis; the line at 1 is 'no change across "
                                "layers'.", compare="activation")
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
    step = max(1, inside.sum() // 100)
    xi = x[inside][::step]
    clean = from_description(res.meta["config"]["data"]).y_wide[:, 0].numpy()[inside][::step]
    xh = np.asarray(res.coords["x_hidden"])
    pick = np.linspace(0, len(xh) - 1, points).round().astype(int)
    probe_layers = res.coords["probe_layer"]
    panels = [Panel("f", "learned function", "x", _round(xi), ylim=(-1.6, 1.6))]
    panels += [Panel(f"a{l}", f"layer {l}: a(x), {units} units", "x", _round(xh[pick])) for l in probe_layers]
    panels += [Panel("g", "||dL/dh_l|| per layer", "hidden layer l", _round(res.coords["layer"]), log=True)]
    ex = StaticExplorer({"activation": res.coords["activation"], "epoch": res.coords["record_epoch"]}, ("epoch",),
                        panels, caption=f"Seed {seed}; the gradient panel shows the nearest logged gradient epoch; "
                                        "each panel keeps its axes across epochs.", compare="activation")
    for name in res.coords["activation"]:
        c = colour(name)
        pred = res.sel("pred", activation=name, seed=seed)[:, inside][:, ::step]
        hidden = res.sel("hidden", activation=name, seed=seed)                         # [epoch, probe, x, unit]
        for e, epoch in enumerate(res.coords["record_epoch"]):
            ge = min(res.coords["grad_epoch"], key=lambda g: abs(g - epoch))
            rec = {"f": [{"y": _round(clean), "c": "#000000", "w": 1, "d": "4 3"}, {"y": _round(pred[e]), "c": c, "w": 2}],
                   "g": [{"y": _round(res.sel("grad_h", activation=name, seed=seed, grad_epoch=ge)), "c": c, "w": 2}]}
            for p, l in enumerate(probe_layers):
                rec[f"a{l}"] = [{"y": _round(hidden[e, p, pick, u], 3), "c": c, "w": 1} for u in range(units)]
            ex.records[f"{name}|{epoch}"] = rec
    return ex.html()


_JS = r"""
(function () {
  var root = document.getElementById("__ID__");
  var data = JSON.parse(document.getElementById("__ID__-data").textContent);
  var names = Object.keys(data.controls), W = 270, H = 200, L = 50, B = 34, T = 22, R = 8;
  var NS = "http://www.w3.org/2000/svg";
  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(v) { if (v === 0) return "0"; var a = Math.abs(v);
    return a >= 1e-2 && a < 1e3 ? (+v.toPrecision(3)).toString() : v.toExponential(0).replace("e+", "e"); }
  function ticks(lo, hi, log) {
    if (log) { var n = hi - lo, k = Math.max(1, Math.ceil(n / 5)), out = [];
      for (var d = Math.ceil(lo); d <= hi; d += k) out.push(d); return out; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 4 || 1))), m = (hi - lo) / step;
    step *= m > 20 ? 5 : m > 8 ? 2 : 1; var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) out.push(+t.toPrecision(6));
    return out;
  }
  function keyOf(idx, replace) {
    return names.map(function (n) { return (replace && n === data.compare) ? replace : data.controls[n][idx[n]]; }).join("|");
  }
  function draw() {
    var idx = {};
    root.querySelectorAll(".ab-controls [data-key]").forEach(function (c) { idx[c.dataset.key] = +c.value; });
    root.querySelectorAll(".ab-val").forEach(function (v) { v.textContent = data.controls[v.dataset.for][idx[v.dataset.for]]; });
    var key = keyOf(idx), rec = data.records[key], other = null, cmp = idx["compare with"];
    if (data.compare && cmp > 0) other = data.records[keyOf(idx, data.controls[data.compare][cmp - 1])];
    var title = root.querySelector(".ab-title");
    title.textContent = names.map(function (n) { return n + " " + data.controls[n][idx[n]]; }).join(", ") +
      (other ? " (compared with " + data.controls[data.compare][cmp - 1] + ", dashed)" : "");
    var box = root.querySelector(".ab-panels");
    box.innerHTML = "";
    data.panels.forEach(function (p) {
      var svg = el("svg", {width: W, height: H, "data-panel": p.name, "data-key": key});
      var xs = p.x.length ? p.x : rec.x, lo = p.ylim[0], hi = p.ylim[1];
      var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
      var sx = function (v) { return L + (v - x0) / (x1 - x0 || 1) * (W - L - R); };
      var sy = function (v) { return T + (1 - (v - lo) / (hi - lo || 1)) * (H - T - B); };
      svg.appendChild(el("rect", {x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999"}));
      svg.appendChild(el("text", {x: W / 2, y: 14, "text-anchor": "middle", "font-size": 12}, p.title));
      svg.appendChild(el("text", {x: W / 2, y: H - 4, "text-anchor": "middle", "font-size": 11}, p.xlabel));
      ticks(lo, hi, p.log).forEach(function (v) {
        svg.appendChild(el("line", {x1: L - 3, x2: L, y1: sy(v), y2: sy(v), stroke: "#999"}));
        svg.appendChild(el("text", {x: L - 5, y: sy(v) + 4, "text-anchor": "end", "font-size": 10}, p.log ? "1e" + v : fmt(v)));
      });
      [x0, x1].forEach(function (v) { svg.appendChild(el("text", {x: sx(v), y: H - B + 13, "text-anchor": "middle", "font-size": 10}, fmt(v))); });
      if (p.ref !== null && p.ref !== undefined) {
        var r = p.log ? Math.log10(p.ref) : p.ref;
        svg.appendChild(el("line", {x1: L, x2: W - R, y1: sy(r), y2: sy(r), stroke: "#555", "stroke-dasharray": "2 2", "class": "ab-ref"}));
      }
      [[other, true], [rec, false]].forEach(function (pair) {
        var r = pair[0]; if (!r) return;
        (r[p.name] || []).forEach(function (s) {
          var d = "", pen = false, rx = p.x.length ? p.x : r.x;
          s.y.forEach(function (v, i) {
            if (v === null || (p.log && v <= 0)) { pen = false; return; }
            var yv = Math.max(lo, Math.min(hi, p.log ? Math.log10(v) : v));
            d += (pen ? "L" : "M") + sx(rx[i]).toFixed(1) + "," + sy(yv).toFixed(1);
            pen = true;
          });
          svg.appendChild(el("path", {d: d, fill: "none", stroke: s.c, "stroke-width": s.w || 1,
            "stroke-dasharray": pair[1] ? "5 3" : (s.d || ""), "stroke-opacity": pair[1] ? 0.8 : 1,
            "class": pair[1] ? "ab-compare" : "ab-main"}));
        });
      });
      box.appendChild(svg);
    });
  }
  root.querySelectorAll(".ab-controls [data-key]").forEach(function (c) { c.addEventListener("input", draw); c.addEventListener("change", draw); });
  draw();
})();
"""
