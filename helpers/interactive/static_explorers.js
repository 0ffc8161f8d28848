// The static explorers' drawing code (helpers/static_explorers.py fills in __ID__, the block's id): controls
// over precomputed records, drawn as SVG panels with fixed axes; no library, no kernel, works offline.
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
      for (var d = Math.ceil(lo / k) * k; d <= hi; d += k) out.push(d); return out; }   // multiples of the step: 1e0 among them
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 4 || 1))), m = (hi - lo) / step;
    step *= m > 20 ? 5 : m > 8 ? 2 : 1; var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) out.push(Math.abs(t) < step * 1e-6 ? 0 : +t.toPrecision(6));
    return out;
  }
  function keyOf(idx, replace) {
    return names.map(function (n) { return (replace && n === data.compare) ? replace : data.controls[n][idx[n]]; }).join("|");
  }
  function draw() {
    var idx = {};
    root.querySelectorAll(".ab-controls [data-key]").forEach(function (c) { idx[c.dataset.key] = +c.value; });
    root.querySelectorAll(".ab-val").forEach(function (v) { v.textContent = data.labels[v.dataset.for][idx[v.dataset.for]]; });
    var key = keyOf(idx), rec = data.records[key], other = null, cmp = idx["compare with"];
    if (data.compare && cmp > 0) other = data.records[keyOf(idx, data.controls[data.compare][cmp - 1])];
    var title = root.querySelector(".ab-title");
    title.textContent = names.map(function (n) { return n + " " + data.labels[n][idx[n]]; }).join(", ") +
      (other ? " (compared with " + data.labels[data.compare][cmp - 1] + ", dashed)" : "");
    var box = root.querySelector(".ab-panels");
    box.innerHTML = "";
    data.panels.forEach(function (p) {
      var svg = el("svg", {width: W, height: H, "data-panel": p.name, "data-key": key, style: "overflow:visible"});   // end labels not clipped
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
          if (s.v !== undefined) d = "M" + sx(s.v).toFixed(1) + "," + sy(hi).toFixed(1) + "L" + sx(s.v).toFixed(1) + "," + sy(lo).toFixed(1);   // a cursor
          (s.y || []).forEach(function (v, i) {
            if (v === null || (p.log && v <= 0)) { pen = false; return; }
            var yv = Math.max(lo, Math.min(hi, p.log ? Math.log10(v) : v));
            d += (pen ? "L" : "M") + sx(rx[i]).toFixed(1) + "," + sy(yv).toFixed(1);
            pen = true;
          });
          svg.appendChild(el("path", {d: d, fill: "none", stroke: s.c, "stroke-width": s.w || 1,
            "stroke-dasharray": pair[1] ? "5 3" : (s.d || ""), "stroke-opacity": pair[1] ? 0.8 : 1,
            "class": s.v !== undefined ? "ab-cursor" : pair[1] ? "ab-compare" : "ab-main"}));
        });
      });
      box.appendChild(svg);
    });
  }
  root.querySelectorAll(".ab-controls [data-key]").forEach(function (c) { c.addEventListener("input", draw); c.addEventListener("change", draw); });
  draw();
})();
