// The in-page trainer (chapter 7, published site): an MLP trained by full-batch Adam on the book's data with
// TensorFlow.js (WASM backend, vendored at build time). The backward pass is written out, as chapter 2 derives
// it (delta_l = (delta_{l+1} W_{l+1}^T) * phi'(h_l)), so that ||dL/dh_l|| comes from the very step that trains.
// Filled in by helpers.browser_trainer: __ID__ (the block's id). Settings and data: the JSON next to it.
(function () {
  const root = document.getElementById("__ID__");
  const P = JSON.parse(document.getElementById("__ID__-data").textContent);
  const $ = (k) => root.querySelector(`[data-key="${k}"]`);
  const status = root.querySelector(".ab-status");
  const say = (msg, bad) => { status.textContent = msg; status.style.color = bad ? "#b00" : "#333"; };
  if (typeof tf === "undefined" || !tf.wasm) {
    say("The in-page trainer needs the built site (make site), where TensorFlow.js is vendored; in a notebook, " +
        "use the live explorer above.", true);
    return;
  }
  // data: URLs, so that the page works from disk as well. The multithreaded binary needs a cross-origin-isolated
  // page, which a static site is not: threads are switched off, and its entry (required) points to the SIMD one.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  const bins = window.TFJS_WASM_BINARIES || {};
  tf.wasm.setWasmPaths({ ...bins, "tfjs-backend-wasm-threaded-simd.wasm": bins["tfjs-backend-wasm-simd.wasm"] });
  let x, y;   // the data as tensors, once a backend is up (WASM; TensorFlow.js's plain-JS CPU backend if not)
  const ready = tf.setBackend("wasm").catch(() => tf.setBackend("cpu")).then(() => tf.ready()).then(() => {
    x = tf.tensor2d(P.x, [P.x.length, 1]); y = tf.tensor2d(P.y, [P.y.length, 1]);
  });

  // ---- the network -------------------------------------------------------------------------------------
  const SQRT2 = Math.SQRT2, SQRT2PI = Math.sqrt(2 * Math.PI);
  // ||t||, computed as d ||t / d|| with d = max |t| (at least 1e-38): squares of float32 gradients below 1e-19
  // would underflow to 0. Entries below ~1e-45 are 0 in float32 themselves (the book computes in float64).
  const norm = (t) => { const d = t.abs().max().maximum(1e-38); return d.mul(t.div(d).square().sum().sqrt()); };
  const cdf = (h) => tf.erf(h.div(SQRT2)).add(1).mul(0.5);
  const pdf = (h) => tf.exp(h.square().mul(-0.5)).div(SQRT2PI);
  // [phi(h, c), phi'(h, a = phi(h), c), c(h)]: c, where present, is a factor phi and phi' share, computed once
  // per layer in the forward pass (GELU's erf is most of its cost). PyTorch's choices at kinks: relu'(0) = 0,
  // leaky_relu'(0) = slope.
  const ACT = {
    identity: [(h) => h, (h) => tf.onesLike(h)],
    sigmoid: [(h) => tf.sigmoid(h), (h, a) => a.mul(tf.sub(1, a))],
    tanh: [(h) => tf.tanh(h), (h, a) => tf.sub(1, a.square())],
    relu: [(h) => tf.relu(h), (h) => tf.step(h)],
    leaky_relu: [(h) => tf.leakyRelu(h, P.leaky_slope), (h) => tf.where(h.greater(0), tf.onesLike(h), tf.fill(h.shape, P.leaky_slope))],
    elu: [(h) => tf.elu(h), (h, a) => tf.where(h.greater(0), tf.onesLike(h), a.add(1))],
    gelu: [(h, c) => h.mul(c), (h, a, c) => c.add(h.mul(pdf(h))), cdf],
    silu: [(h, c) => h.mul(c), (h, a, c) => c.mul(h.mul(tf.sub(1, c)).add(1)), (h) => tf.sigmoid(h)],
    // below 0, phi = scale alpha (e^h - 1), so phi' = scale alpha e^h = phi + scale alpha
    selu: [(h) => tf.selu(h), (h, a) => tf.where(h.greater(0), tf.fill(h.shape, P.selu[1]), a.add(P.selu[0] * P.selu[1]))],
  };

  // ---- a reader's formula (helpers.byo.formula's grammar), parsed into TensorFlow.js operations, never eval'd;
  // its derivative by TensorFlow.js's autodiff, "on" as everywhere: |phi'| >= 25% of its largest value on [-10, 10]
  const FUNCS = { sin: tf.sin, cos: tf.cos, tan: tf.tan, tanh: tf.tanh, sinh: tf.sinh, cosh: tf.cosh, atan: tf.atan,
    exp: tf.exp, log: tf.log, sqrt: tf.sqrt, abs: tf.abs, erf: tf.erf, sigmoid: tf.sigmoid, softplus: tf.softplus,
    relu: tf.relu, gelu: (h) => h.mul(cdf(h)), silu: (h) => h.mul(tf.sigmoid(h)) };
  const CONSTS = { pi: Math.PI, e: Math.E };
  function parseFormula(text) {
    const fail = (why) => { throw new Error(`the formula "${text}" ${why}: write phi in terms of x, e.g. x * tanh(softplus(x)); ` +
      `allowed: x, numbers, pi, e, + - * / ^ and ${Object.keys(FUNCS).join(", ")}`); };
    const toks = [], re = /\s*(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|[A-Za-z_]\w*|\*\*|[-+*/^()])\s*/y;
    const src = String(text);
    while (re.lastIndex < src.length) { const m = re.exec(src); if (!m) fail(`cannot be read at "${src.slice(re.lastIndex)}"`); toks.push(m[1]); }
    if (!toks.length) fail("is empty");
    let i = 0;
    const peek = () => toks[i], next = () => toks[i++];
    const binary = (a, b, op) => (h) => a(h)[op](b(h));
    function expr() { let f = term(); while (peek() === "+" || peek() === "-") { const op = next() === "+" ? "add" : "sub"; f = binary(f, term(), op); } return f; }
    function term() { let f = unary(); while (peek() === "*" || peek() === "/") { const op = next() === "*" ? "mul" : "div"; f = binary(f, unary(), op); } return f; }
    function unary() { if (peek() === "-") { next(); const a = unary(); return (h) => a(h).neg(); } if (peek() === "+") { next(); return unary(); } return power(); }
    function power() { const a = primary(); if (peek() === "^" || peek() === "**") { next(); const b = unary(); return (h) => tf.pow(a(h), b(h)); } return a; }
    function primary() {
      const t = next();
      if (t === undefined) fail("ends too early");
      if (/^[\d.]/.test(t)) { const v = +t; return (h) => tf.fill(h.shape, v); }
      if (t === "x") return (h) => h;
      if (Object.hasOwn(CONSTS, t)) return (h) => tf.fill(h.shape, CONSTS[t]);
      if (t === "(") { const f = expr(); if (next() !== ")") fail("has an unclosed parenthesis"); return f; }
      if (Object.hasOwn(FUNCS, t)) {
        if (next() !== "(") fail(`needs parentheses after ${t}`);
        const a = expr(); if (next() !== ")") fail("has an unclosed parenthesis");
        return (h) => FUNCS[t](a(h));
      }
      fail(`uses "${t}", which is not allowed`);
    }
    const f = expr();
    if (i < toks.length) fail(`has "${toks[i]}" where the formula should end`);
    return f;
  }
  const formulas = new Map();   // text -> {act: [phi, phi'], on(h)}, checked once
  function formulaAct(text) {
    if (formulas.has(text)) return formulas.get(text);
    const f = parseFormula(text), d = tf.grad(f);
    let lo, hi, dmax, ok;
    tf.tidy(() => {   // the values first: a constant has no gradient for autodiff to follow
      const g = tf.linspace(-10, 10, 2001), v = f(g);
      [lo, hi] = [v.min(), v.max()].map((t) => t.dataSync()[0]);
      ok = v.isFinite().all().dataSync()[0];
      if (ok && hi - lo > 1e-6) {
        const dv = d(g);
        dmax = dv.abs().max().dataSync()[0];
        ok = dv.isFinite().all().dataSync()[0];
      }
    });
    if (!ok) throw new Error(`the formula "${text}" is not finite on [-10, 10]; choose one that is`);
    if (!(hi - lo > 1e-6) || !(dmax > 0)) throw new Error(`the formula "${text}" is constant on [-10, 10], so no gradient passes through it`);
    const entry = { act: [(h) => f(h), (h) => d(h)], on: (h) => d(h).abs().greaterEqual(0.25 * dmax) };
    formulas.set(text, entry);
    return entry;
  }

  function check(s) {
    const bad = [];
    if (s.activation === "formula") {
      try { formulaAct(s.formula); } catch (e) { bad.push(e.message); }
      if (s.init === "critical") bad.push("the critical initialisation is computed for the book's activations only; choose another init for a formula");
    } else if (!Object.hasOwn(ACT, s.activation)) bad.push(`unknown activation "${s.activation}"; choose one of ${Object.keys(ACT).join(", ")}, or formula`);
    if (s.layer && !P.layers.includes(s.layer)) bad.push(`unknown layer type "${s.layer}"; choose one of ${P.layers.join(", ")}`);
    if (s.deep && !Object.hasOwn(ACT, s.deep)) bad.push(`unknown activation for the deep half "${s.deep}"; choose one of ${Object.keys(ACT).join(", ")}, or none`);
    if (!Number.isInteger(s.depth) || s.depth < P.depths[0] || s.depth > P.depths[1]) bad.push(`depth must be a whole number from ${P.depths[0]} to ${P.depths[1]}, got ${s.depth}`);
    if (!P.widths.includes(s.width)) bad.push(`width must be one of ${P.widths.join(", ")}, got ${s.width}`);
    if (!P.inits.includes(s.init)) bad.push(`unknown init "${s.init}"; choose one of ${P.inits.join(", ")}`);
    if (!(s.lr >= P.lr_range[0] && s.lr <= P.lr_range[1])) bad.push(`learning rate must lie in [${P.lr_range.join(", ")}], got ${s.lr}`);
    if (!Number.isInteger(s.epochs) || s.epochs < P.epoch_range[0] || s.epochs > P.epoch_range[1]) bad.push(`epochs must be a whole number from ${P.epoch_range[0]} to ${P.epoch_range[1]}, got ${s.epochs}`);
    if (bad.length) throw new Error(bad.join("; "));
  }

  const shapes = (depth, width) => [...Array(depth + 1).keys()].map((l) => [l === 0 ? 1 : width, l === depth ? 1 : width]);

  // Where a unit is on (helpers.probes.is_on): lo <= h <= hi, the float64 ends rounded to float32 with the
  // comparison made strict where rounding moved an end outward (ReLU's lo, the smallest double, becomes 0).
  function onMask(h, name) {
    const [lo, hi] = P.on_interval[name].map((v, i) => (v === null ? (i ? Infinity : -Infinity) : v));
    const lo32 = Math.fround(lo), hi32 = Math.fround(hi);
    const above = lo32 < lo ? h.greater(lo32) : h.greaterEqual(lo32);
    return above.logicalAnd(hi32 > hi ? h.less(hi32) : h.lessEqual(hi32));
  }

  function initial(s, seed) {   // helpers.models.init_params' distributions (its draws are torch's own)
    return shapes(s.depth, s.width).map(([fi, fo], l) => {
      const k = 1000 * seed + 2 * l + 1;   // never 0: TensorFlow.js reads a seed of 0 as "no seed"
      if (s.init === "torch_default") {
        const bound = 1 / Math.sqrt(fi);
        return [tf.randomUniform([fi, fo], -bound, bound, "float32", k), tf.randomUniform([fo], -bound, bound, "float32", k + 1)];
      }
      if (s.init === "orthogonal") {   // Q of a Gaussian's QR, its columns' signs fixed by R's diagonal (Haar)
        const n = Math.min(fi, fo);
        const [q, r] = tf.linalg.qr(tf.randomNormal([Math.max(fi, fo), n], 0, 1, "float32", k));
        const w = q.mul(tf.sign(r.mul(tf.eye(n)).sum(0)));
        return [(fi >= fo ? w : w.transpose()).mul(Math.sqrt(Math.max(1, fo / fi))), tf.zeros([fo])];
      }
      const std = s.init === "critical" ? Math.sqrt(2 / fi) * P.critical_scale[s.activation]   // chapter 9's
        : Math.sqrt({ xavier: 2 / (fi + fo), kaiming: 2 / fi, lecun: 1 / fi }[s.init]);
      return [tf.randomNormal([fi, fo], 0, std, "float32", k), tf.zeros([fo])];
    });
  }

  class Net {   // parameters, Adam's moments and the step count; params: [[W_l [fan_in, fan_out], b_l [fan_out]], ...]
    constructor(s, params) {   // params: tensors, or arrays (the tests load torch's initial weights)
      this.s = s; this.t = 0;
      const formula = s.activation === "formula" ? formulaAct(s.formula) : null;
      const first = formula ? formula.act : ACT[s.activation], firstOn = formula ? formula.on : (h) => onMask(h, s.activation);
      // an activation per layer: the first half keeps the activation, layers past depth / 2 take s.deep if set
      const deep = (l) => s.deep && l >= Math.ceil(s.depth / 2);
      this.phis = [...Array(s.depth).keys()].map((l) => (deep(l) ? ACT[s.deep] : first));
      this.ons = [...Array(s.depth).keys()].map((l) => (deep(l) ? (h) => onMask(h, s.deep) : firstOn));
      // chapter 10's layer types (helpers.blocks): a norm's gain (1) and shift (0) per unit of each hidden layer
      this.layer = s.layer && s.layer !== "plain" ? s.layer : null;
      this.norm = !this.layer ? null : this.layer.includes("layernorm") ? "layer" : this.layer === "batchnorm" ? "batch" : null;
      // in a tidy: the temporaries go, the variables keep their data
      this.p = tf.tidy(() => params.map((pair) => pair.map((a) => tf.variable(a instanceof tf.Tensor ? a : tf.tensor(a)))));
      if (this.norm) this.p.push(...tf.tidy(() => this.p.slice(0, s.depth).map(([w]) =>
        [tf.variable(tf.ones([w.shape[1]])), tf.variable(tf.zeros([w.shape[1]]))])));   // p[L + 1 + l]: layer l's norm
      const zeros = () => tf.tidy(() => this.p.map((pair) => pair.map((w) => tf.variable(tf.zerosLike(w)))));
      this.m = zeros(); this.v = zeros();
    }
    dispose() { for (const g of [this.p, this.m, this.v]) g.flat().forEach((t) => t.dispose()); }
    forward(x) {  // (output, pre-activations h_1..h_L, activations a_0 = x, a_1..a_L, shared factors)
      const hs = [], as = [x], cs = [], L = this.s.depth;
      for (let l = 0; l < L; l++) {
        const [phi, , shared] = this.phis[l];
        hs.push(as[l].matMul(this.p[l][0]).add(this.p[l][1]));
        cs.push(shared ? shared(hs[l]) : null);
        as.push(phi(hs[l], cs[l]));
      }
      return [as[L].matMul(this.p[L][0]).add(this.p[L][1]), hs, as, cs];
    }
    // One full-batch Adam step (torch.optim.Adam's update). Returns the loss before the step and, if probe,
    // ||dL/dh_l|| (l = 1..L) and the fraction of units off per layer (on for no input: helpers.probes.is_on).
    // Transposes are explicit: the WASM backend's matMul with a transposed operand is 8x slower than both.
    backward(x, y, probe) {   // (loss, [[dL/dW_l, dL/db_l], ...], ||dL/dh_l|| if probe, output, h_l); in a tidy
      const [out, hs, as, cs] = this.forward(x), L = this.s.depth, n = x.shape[0];
      const r = out.sub(y), loss = r.square().mean();
      let delta = r.mul(2 / n);                                    // dL/d(output)
      const grads = new Array(L + 1), norms = new Array(L);
      for (let l = L; l >= 0; l--) {
        grads[l] = [as[l].transpose().matMul(delta), delta.sum(0)];
        if (l > 0) {
          delta = delta.matMul(this.p[l][0].transpose()).mul(this.phis[l - 1][1](hs[l - 1], as[l], cs[l - 1]));   // dL/dh_l
          if (probe) norms[l - 1] = norm(delta);
        }
      }
      return { loss, grads, norms, out, hs };
    }
    // helpers.blocks.BlockStack.forward with explicit parameters ps (this.p's layout) and probes zs added to each
    // u_l (the argument of phi), so that autodiff's gradient with respect to zs is dL/du_l
    layered(x, ps, zs) {
      const L = this.s.depth, residual = this.layer.startsWith("residual"), us = [];
      const normalise = (h, l) => {
        const { mean, variance } = tf.moments(h, this.norm === "layer" ? 1 : 0, true);
        return h.sub(mean).div(variance.add(1e-5).sqrt()).mul(ps[L + 1 + l][0]).add(ps[L + 1 + l][1]);
      };
      let a = x;
      for (let l = 0; l < L; l++) {
        const skip = residual && l > 0;
        let u = (skip && this.norm ? normalise(a, l) : a).matMul(ps[l][0]).add(ps[l][1]);
        if (this.norm && !residual) u = normalise(u, l);
        if (zs) u = u.add(zs[l]);
        us.push(u);
        const act = this.phis[l][0](u, this.phis[l][2] ? this.phis[l][2](u) : null);
        a = skip ? a.add(act) : act;
      }
      return [a.matMul(ps[L][0]).add(ps[L][1]), us];
    }
    backwardLayered(x, y, probe) {
      const flat = this.p.flat(), n = flat.length, L = this.s.depth;
      const zs = [...Array(L).keys()].map(() => tf.zeros([x.shape[0], this.p[0][0].shape[1]]));
      const rebuild = (args) => this.p.map((pair, i) => pair.map((_, j) => args[2 * i + j]));
      // + 0 x every argument: a parameter the loss does not use (pre-norm's layer-1 norm) gets a zero gradient, as
      // in PyTorch, where Adam then leaves it alone, instead of autodiff's refusal
      const lossOf = (...args) => { const [out] = this.layered(x, rebuild(args), args.slice(n));
        return out.sub(y).square().mean().add(tf.addN(args.map((t) => t.sum())).mul(0)); };
      const { value, grads } = tf.valueAndGrads(lossOf)([...flat, ...zs]);
      const [out, hs] = this.layered(x, this.p, null);
      return { loss: value, grads: rebuild(grads), norms: probe ? grads.slice(n).map(norm) : [], out, hs };
    }
    step(x, y, lr, probe) {
      return tf.tidy(() => {
        const { loss, grads, norms, out, hs } = this.layer ? this.backwardLayered(x, y, probe) : this.backward(x, y, probe);
        this.t += 1;
        const [b1, b2, eps] = P.adam, c1 = 1 - b1 ** this.t, c2 = Math.sqrt(1 - b2 ** this.t);
        grads.forEach((pair, l) => pair.forEach((g, i) => {
          const [p, m, v] = [this.p[l][i], this.m[l][i], this.v[l][i]];
          m.assign(m.mul(b1).add(g.mul(1 - b1)));
          v.assign(v.mul(b2).add(g.square().mul(1 - b2)));
          p.assign(p.sub(m.div(v.sqrt().div(c2).add(eps)).mul(lr / c1)));
        }));
        const res = { loss: loss.dataSync()[0] };
        if (probe) {
          res.gradH = tf.stack(norms).dataSync();
          res.off = Float32Array.from(hs.map((h, l) => this.ons[l](h).any(0).logicalNot().cast("float32")
            .mean().dataSync()[0]));
          res.pred = out.dataSync();   // the fit before this step, as the loss and the probes
        }
        return res;
      });
    }
    predict(x) { return tf.tidy(() => (this.layer ? this.layered(x, this.p, null) : this.forward(x))[0].dataSync()); }
  }

  // ---- drawing: four canvases ---------------------------------------------------------------------------
  const fmt = (v) => { const t = v.toPrecision(2); return t.includes("e") ? t.replace(/e\+?/, "e").replace(/\.0e/, "e") : String(+t); };
  function chart(cv, title, xs, ylim, log, xlabel) {
    const g = cv.getContext("2d"), W = cv.width, H = cv.height, m = { l: 46, r: 14, t: 18, b: 30 };
    g.clearRect(0, 0, W, H); g.font = "11px sans-serif"; g.fillStyle = "#222"; g.strokeStyle = "#999";
    g.fillText(title, m.l, 12); g.fillText(xlabel, W / 2 - 20, H - 4);
    const ty = (v) => (log ? Math.log10(v) : v), [y0, y1] = ylim.map(ty);
    const X = (v) => m.l + ((v - xs[0]) / (xs[1] - xs[0] || 1)) * (W - m.l - m.r);
    const Y = (v) => H - m.b - ((ty(v) - y0) / (y1 - y0)) * (H - m.t - m.b);
    g.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
    const ticks = log ? [...Array(Math.floor(y1) - Math.ceil(y0) + 1).keys()].map((k) => 10 ** (Math.ceil(y0) + k))
      .filter((_, i, a) => a.length < 7 || i % Math.ceil(a.length / 6) === 0) : [0, 0.25, 0.5, 0.75, 1].map((f) => ylim[0] + f * (ylim[1] - ylim[0]));
    ticks.forEach((v) => { g.fillText(fmt(v), 2, Y(v) + 4); g.beginPath(); g.moveTo(m.l - 3, Y(v)); g.lineTo(m.l, Y(v)); g.stroke(); });
    g.fillText(fmt(xs[0]), X(xs[0]) - 4, H - m.b + 12);
    g.fillText(fmt(xs[1]), X(xs[1]) - g.measureText(fmt(xs[1])).width, H - m.b + 12);
    const clip = (v) => Math.min(Math.max(v, ylim[0]), ylim[1]);
    return {
      line(px, py, colour, dash, width) {
        g.save(); g.beginPath(); g.rect(m.l, m.t, W - m.l - m.r, H - m.t - m.b); g.clip();
        g.strokeStyle = colour; g.lineWidth = width || 2; g.setLineDash(dash || []); g.beginPath();
        let pen = false;
        px.forEach((xv, i) => { const v = py[i]; if (!Number.isFinite(v) || (log && v <= 0)) { pen = false; return; }
          const p = [X(xv), Y(clip(v))]; pen ? g.lineTo(...p) : g.moveTo(...p); pen = true; });
        g.stroke(); g.restore();
      },
      dots(px, py, colour) { g.fillStyle = colour; px.forEach((xv, i) => { if (Number.isFinite(py[i]) && !(log && py[i] <= 0)) g.fillRect(X(xv) - 1.5, Y(clip(py[i])) - 1.5, 3, 3); }); },
      label(v, text) { g.fillStyle = "#777"; g.fillText(text, W - m.r - g.measureText(text).width - 2, Y(v) - 2); },
    };
  }

  const cvs = [...root.querySelectorAll("canvas")];
  // The previous run stays on the canvases as a grey "ghost" (loss, fit, gradient profile, units off), so two
  // settings are compared on screen; its label says what it was.
  let ghost = null;
  const GHOST = "#b8b8b8";
  function draw(run) {
    const s = run.s, c = P.colours[s.activation], L = s.depth, g = ghost;
    const layers = [1, Math.max(L, g ? g.s.depth : 1, 2)], epochs = Math.max(s.epochs, g ? g.loss.length : 1);
    const lim = g && g.gradLim && run.gradLim ? [Math.min(g.gradLim[0], run.gradLim[0]), Math.max(g.gradLim[1], run.gradLim[1])]
      : run.gradLim || (g && g.gradLim) || [1e-8, 1e1];
    const lossAx = chart(cvs[0], "train MSE (dotted: landmarks)", [1, epochs], P.loss_ylim, true, "epoch");
    Object.entries(P.landmarks).forEach(([k, v]) => { lossAx.line([1, epochs], [v, v], "#999", [2, 3], 1); lossAx.label(v, k.replace("_", " ")); });
    if (g) lossAx.line(g.loss.map((_, i) => i + 1), g.loss, GHOST);
    lossAx.line(run.loss.map((_, i) => i + 1), run.loss, c);
    const fit = chart(cvs[1], "learned function", [-Math.PI, Math.PI], [-2, 2], false, "x");
    fit.dots(P.x, P.y, "#aaa"); fit.line(P.x_clean, P.y_clean, "#000", [4, 3], 1);
    if (g && g.pred) fit.line(P.x, g.pred, GHOST);
    if (run.pred) fit.line(P.x, run.pred, c);
    const gr = chart(cvs[2], `||dL/dh_l||, epoch ${run.probedAt}`, layers, lim, true, "hidden layer l");
    const off = chart(cvs[3], "fraction of units off", layers, [0, 1], false, "hidden layer l");
    const lx = (n) => [...Array(n).keys()].map((i) => i + 1);
    for (const [r, colour] of [[g, GHOST], [run, c]]) {
      if (r && r.gradH) { gr.line(lx(r.s.depth), Array.from(r.gradH), colour); gr.dots(lx(r.s.depth), Array.from(r.gradH), colour); }
      if (r && r.off) { off.line(lx(r.s.depth), Array.from(r.off), colour); off.dots(lx(r.s.depth), Array.from(r.off), colour); }
    }
    root.querySelector(".ab-ghost").textContent = g ? `grey: the previous run (${describe(g.s)}, ` +
      `final train MSE ${fmt(g.loss[g.loss.length - 1])})` : "";
  }
  const named = (s) => (s.activation === "formula" ? `phi = ${s.formula}` : P.activations[s.activation]);
  const describe = (s) => `${s.layer && s.layer !== "plain" ? P.layer_labels[s.layer] + ", " : ""}${named(s)}${s.deep ? ` (layers past ${Math.ceil(s.depth / 2)}: ${P.activations[s.deep]})` : ""}, depth ${s.depth}, width ${s.width}, ` +
    `${P.init_labels[s.init]} init, lr ${fmt(s.lr)}`;

  function verdict(mse) {   // where a final train MSE sits among the landmarks: helpers.findings.seed.fit_verdict
    const L = P.landmarks;
    if (!Number.isFinite(mse)) return "diverged";
    for (const [k, text] of [["noise_floor", "at the noise floor"], ["linear", "at the best straight line"],
      ["constant", "at the best constant"]]) if (Math.abs(mse - L[k]) <= 0.25 * L[k]) return text;
    if (mse < L.noise_floor) return "below the noise floor (fits some noise)";
    return mse < L.linear ? "between the straight line and the noise floor" : "worse than a straight line";
  }

  // ---- running: one run at a time; any change of a setting stops it and resets ---------------------------
  let current = null;
  const settings = () => ({ activation: $("activation").value, depth: +$("depth").value, width: +$("width").value,
    init: $("init").value, lr: 10 ** +$("lr").value, epochs: +$("epochs").value, formula: $("formula").value,
    deep: $("deep").value, layer: $("layer").value });

  function stop() {   // the run that was showing becomes the ghost
    if (current) {
      current.stopped = true; current.net.dispose();
      if (current.loss.length) ghost = { s: current.s, loss: current.loss, pred: current.pred, gradH: current.gradH,
        off: current.off, gradLim: current.gradLim };
      current = null;
    }
    buttons(false);
  }
  function buttons(running) {   // step also starts a paused run when none is going
    $("pause").disabled = !running;
    $("pause").textContent = running && current && current.paused ? "resume" : "pause";
  }
  function pause(on = !(current && current.paused)) {   // toggles; a run that is paused waits for resume or step
    if (current && !current.done) { current.paused = on; buttons(true); say(on ? "paused: step or resume" : "resumed"); }
  }
  function step() {   // one epoch; with no run going, a new run that starts paused
    if (current && !current.done) { current.paused = true; current.steps += 1; buttons(true); return null; }
    return train(settings(), null, 5, true).then((run) => run);
  }

  function setControls(s) {   // a run started from code shows its settings in the controls too
    for (const k of ["activation", "depth", "width", "init", "epochs"]) $(k).value = s[k];
    if (s.formula !== undefined) $("formula").value = s.formula;
    $("deep").value = s.deep || "";
    $("layer").value = s.layer || "plain";
    $("lr").value = Math.log10(s.lr);
    show();
    $("lr-value").textContent = fmt(s.lr);   // the rate used, even where the slider's steps round it
  }

  let generation = 0;   // the latest train() call wins, even when calls overlap while the backend loads
  async function train(s = settings(), params = null, probeEvery = 5, paused = false) {   // paused: wait for step
    const mine = ++generation;
    stop();
    if (s.activation === "formula") await ready;   // checking a formula evaluates it
    try { check(s); } catch (e) { say(e.message, true); throw e; }
    setControls(s);
    await ready;
    if (mine !== generation) return null;   // a newer call started meanwhile
    stop();
    const run = { s, loss: [], stopped: false, done: false, probedAt: 0, gradLim: null, paused, steps: 0 };
    const drawn = params ? null : initial(s, 0);
    run.net = new Net(s, params || drawn);
    if (drawn) drawn.flat().forEach((t) => t.dispose());
    current = run;
    buttons(true);
    let yielded = performance.now();
    for (let e = 1; e <= s.epochs && !run.stopped; e++) {
      while (run.paused && run.steps === 0 && !run.stopped) await new Promise((r) => setTimeout(r, 30));
      if (run.stopped) break;
      if (run.steps > 0) run.steps -= 1;   // one epoch while paused
      const probe = e === 1 || e % probeEvery === 0 || e === s.epochs || run.paused;
      const r = run.net.step(x, y, s.lr, probe);
      run.loss.push(r.loss);
      if (probe) {
        Object.assign(run, { gradH: r.gradH, off: r.off, probedAt: e, pred: r.pred });
        const g = Array.from(r.gradH).filter((v) => v > 0 && Number.isFinite(v)).map(Math.log10);
        if (g.length) {   // the axis only grows, a decade beyond the values: nothing is clipped onto its frame
          const [lo, hi] = [10 ** (Math.floor(Math.min(...g)) - 1), 10 ** (Math.ceil(Math.max(...g)) + 1)];
          run.gradLim = run.gradLim ? [Math.min(lo, run.gradLim[0]), Math.max(hi, run.gradLim[1])] : [lo, hi];
        }
      }
      if (!Number.isFinite(r.loss)) { run.diverged = e; break; }
      if (probe) { draw(run); say(`epoch ${e} of ${s.epochs}: train MSE ${r.loss.toPrecision(3)}${run.paused ? " (paused)" : ""}`); }
      const speed = +$("speed").value;   // epochs per second; 0: as fast as the machine goes
      if (speed) { await new Promise((r) => setTimeout(r, 1000 / speed)); yielded = performance.now(); }
      else if (performance.now() - yielded > 50) { await tf.nextFrame(); yielded = performance.now(); }   // stay responsive
    }
    if (run.stopped) return run;
    run.done = true;
    buttons(false);
    const last = run.loss.slice(-10).sort((a, b) => a - b), mid = last.length / 2;   // np.nanmedian's median
    const final = last.length % 2 ? last[Math.floor(mid)] : (last[mid - 1] + last[mid]) / 2;
    if (!run.diverged && !(final <= P.exploded * P.landmarks.constant)) run.diverged = -1;
    draw(run);
    if (run.diverged > 0) say(`diverged: the loss became non-finite at epoch ${run.diverged}`, true);
    else if (run.diverged) say("diverged: the loss ended above 10x the best constant's", true);
    else say(`final train MSE ${final.toPrecision(3)} after ${s.epochs} epochs: ${verdict(final)}`);
    return run;
  }

  const guarded = (f) => (...args) => f(...args).catch((e) => say(String(e.message || e), true));
  $("train").addEventListener("click", guarded(() => train()));
  $("pause").addEventListener("click", () => pause());
  $("step").addEventListener("click", guarded(async () => { step(); }));
  function show() {
    const s = settings();
    $("lr-value").textContent = fmt(s.lr); $("depth-value").textContent = s.depth; $("epochs-value").textContent = s.epochs;
  }
  $("preset").addEventListener("input", () => {   // a preset fills the formula box and picks "formula"
    if ($("preset").value) { $("formula").value = $("preset").value; $("activation").value = "formula"; }
  });
  root.querySelectorAll("select, input").forEach((el) => el.dataset.key !== "speed" && el.addEventListener("input", () => {
    show();
    if (current && !current.done) say("stopped: a setting changed; press train (the stopped run stays in grey)");
    stop();   // a finished run, too, becomes the grey ghost
    draw({ s: settings(), loss: [], probedAt: 0 });   // the new settings' axes, the data, and the ghost
  }));
  show();
  root.dispatchEvent(new Event("ready"));
  // for tests and the curious: gradients of a net as arrays, the initial draws, the on-mask
  const gradients = (net) => tf.tidy(() => net.backward(x, y, false).grads.map((pair) => pair.map((g) => g.arraySync())));
  const initialArrays = (s, seed = 0) => { const ps = initial(s, seed), out = ps.map((p) => p.map((t) => t.arraySync()));
    ps.flat().forEach((t) => t.dispose()); return out; };
  window.abTrainer = { train, stop, pause, step, check, verdict, ready, Net, gradients, initial: initialArrays,
    data: () => [x, y], current: () => current, ghost: () => ghost, P };
  draw({ s: settings(), loss: [], probedAt: 0 });   // axes, data and the clean curve before the first run
  ready.then(() => say(`ready (TensorFlow.js ${tf.version.tfjs}, ${tf.getBackend()} backend): press train`));
})();
