"""Chapter 7's in-page trainer in headless Chromium, opened from disk with every other request blocked: its
forward pass, per-layer gradients and Adam steps against PyTorch's for every activation, training that
trains, a deep sigmoid's vanishing gradient, a setting changed mid-run, bad settings and a diverging run."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import theory
from helpers.core import activations
from helpers.core.data import make_dataset
from helpers.core.models import MLP, NetConfig, StackedMLP, init_params
from helpers.engine import probes
from helpers.experiments.explorer_stats import init_statistics
from helpers.interactive import browser_trainer

VENDOR = Path(__file__).resolve().parents[2] / "book" / "_vendor"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if not (VENDOR / browser_trainer.SCRIPTS[-1]).is_file():
        pytest.skip(f"TensorFlow.js is not vendored in {VENDOR}: build the site first (make site)")
    from playwright.sync_api import sync_playwright
    index = tmp_path_factory.mktemp("trainer") / "index.html"
    index.write_text(f"<!doctype html><html><body>{browser_trainer.html(static=VENDOR.as_uri())}</body></html>")
    outside, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pg = browser.new_page()
        pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                 else (outside.append(route.request.url), route.abort()))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(index.as_uri())
        pg.wait_for_function("window.abTrainer !== undefined")
        pg.evaluate("abTrainer.ready")
        yield pg
        assert not outside, f"requests outside the page: {outside}"
        assert not errors, f"errors in the page: {errors}"
        browser.close()


def status(page) -> str:
    return page.inner_text(".ab-trainer .ab-status")


def test_it_runs_on_webassembly_offline(page):
    assert "wasm backend" in status(page)


def _torch_reference(name: str, depth: int, width: int, lr: float, steps: int):
    """In float64, from the same initial weights: outputs, ||dL/dh_l||, units off (probes' definitions) and
    dL/dW_l, dL/db_l at init, and the loss before each of `steps` Adam steps (torch.optim.Adam)."""
    data = make_dataset()
    x, y = data.x.double(), data.y.double()
    stacked = StackedMLP.from_seeds([name], [0], NetConfig(depth, width), dtype=torch.float64)
    out = probes.forward(stacked, x, keep=False)[0][0, :, 0].numpy()
    grad_h = probes.layer_gradients(stacked, x, y)[1][0].numpy()
    off = probes.unit_states(stacked, x)[0][0, :, probes.UNIT_STATES.index("off")].numpy()
    net = MLP(name, NetConfig(depth, width), seed=0, dtype=torch.float64)
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=browser_trainer.ADAM_BETAS, eps=1e-8)
    losses, grads = [], None
    for _ in range(steps):
        loss = ((net(x) - y) ** 2).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        grads = grads or [(lin.weight.grad.T.clone().numpy(), lin.bias.grad.clone().numpy()) for lin in net.layers]
        opt.step()
    return out, grad_h, off, grads, losses


def _train_in_page(page, setting: dict, params, lr: float, steps: int) -> dict:
    """The page's Net for `setting` from torch's initial weights: its output, gradients, and over `steps` Adam steps
    the losses, with ||dL/dh_l|| and the units off of the first."""
    return page.evaluate("""([setting, lr, steps, params]) => {
        const [x, y] = abTrainer.data();
        const net = new abTrainer.Net(setting, params);
        const out = Array.from(net.predict(x)), grads = abTrainer.gradients(net), losses = [];
        let first;
        for (let t = 0; t < steps; t++) { const r = net.step(x, y, lr, true); losses.push(r.loss); first ??= r; }
        net.dispose();
        return {out, grads, gradH: Array.from(first.gradH), off: Array.from(first.off), losses};
    }""", [setting, lr, steps, params])


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_forward_gradients_and_adam_match_torch(page, name):
    depth, width, lr, steps = 4, 16, 1e-2, 5
    params = [(w.tolist(), b.tolist()) for w, b in init_params(0, NetConfig(depth, width), dtype=torch.float64)]
    got = page.evaluate("""([name, depth, width, lr, steps, params]) => {
        const [x, y] = abTrainer.data();
        const net = new abTrainer.Net({activation: name, depth, width}, params);
        const out = Array.from(net.predict(x)), grads = abTrainer.gradients(net), losses = [];
        let first;
        for (let t = 0; t < steps; t++) {
            const r = net.step(x, y, lr, true); losses.push(r.loss); first ??= r;
        }
        net.dispose();
        return {out, grads, gradH: Array.from(first.gradH), off: Array.from(first.off), losses};
    }""", [name, depth, width, lr, steps, params])
    out, grad_h, off, grads, losses = _torch_reference(name, depth, width, lr, steps)
    assert np.allclose(got["out"], out, rtol=1e-4, atol=1e-6)
    for (gw, gb), (tw, tb) in zip(got["grads"], grads):              # every weight and bias gradient
        scale = max(np.abs(tw).max(), np.abs(tb).max())
        assert np.allclose(gw, tw, rtol=1e-3, atol=1e-5 * scale) and np.allclose(gb, tb, rtol=1e-3, atol=1e-5 * scale)
    assert np.allclose(got["gradH"], grad_h, rtol=1e-3, atol=0), (got["gradH"], grad_h)
    assert np.abs(np.array(got["off"]) - off).max() <= 1 / width + 1e-9   # at most one unit on the edge
    assert np.allclose(got["losses"], losses, rtol=1e-4), (got["losses"], losses)   # after Adam steps 1-4


@pytest.mark.parametrize("init", ["torch_default", "xavier", "kaiming", "lecun", "orthogonal", "critical"])
def test_initial_weights_follow_the_books_distributions(page, init):
    """critical: chapter 9's (He's Gaussian scaled to the activation's edge of chaos, at_init.case_scales)."""
    depth, width = 3, 64
    draw = "([s, seed]) => abTrainer.initial(s, seed)"
    setting = {"depth": depth, "width": width, "init": init, "activation": "tanh"}
    params = page.evaluate(draw, [setting, 0])
    again = page.evaluate(draw, [setting, 0])
    assert params == again                                            # seeded: the same every time
    for l, ((w, b), (fan_in, fan_out)) in enumerate(zip(params, [(1, 64), (64, 64), (64, 64), (64, 1)])):
        w, b = np.array(w), np.array(b)
        assert w.shape == (fan_in, fan_out) and b.shape == (fan_out,)
        if init == "torch_default":                                   # U(+-1/sqrt(fan_in)), weights and biases
            bound = 1 / math.sqrt(fan_in)
            assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
            if w.size >= 64:
                assert np.abs(w).max() > 0.9 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound
        elif init == "orthogonal":                                    # orthonormal rows or columns, x sqrt(fo/fi)
            assert not b.any()
            s = np.linalg.svd(w, compute_uv=False) / math.sqrt(max(1, fan_out / fan_in))
            assert np.allclose(s, 1, atol=1e-4), (l, s.min(), s.max())
        else:                                                         # N(0, var), biases 0
            std = math.sqrt({"xavier": 2 / (fan_in + fan_out), "kaiming": 2 / fan_in, "lecun": 1 / fan_in,
                             "critical": theory.edge_sigma_w2("tanh") / fan_in}[init])
            assert not b.any()
            if w.size >= 64:
                assert abs(w.std() / std - 1) < 0.2, (l, w.std(), std)
    assert not np.allclose(params[1][0], params[2][0])                # layers are drawn independently


def test_training_reduces_the_loss(page):
    run = page.evaluate("""async () => { const r = await abTrainer.train({activation: 'relu', depth: 10, width: 64,
        init: 'torch_default', lr: 1e-3, epochs: 200}); return {loss: r.loss, diverged: r.diverged || 0}; }""")
    loss = np.array(run["loss"])
    assert len(loss) == 200 and run["diverged"] == 0 and np.isfinite(loss).all()
    assert loss[-10:].mean() < 0.5 * loss[0]
    assert status(page).startswith("final train MSE")


@pytest.mark.parametrize("where", ["noise_floor", "linear", "constant"])
@pytest.mark.parametrize("times", [0.5, 0.8, 1.0, 1.2, 1.3, 3.0])
def test_the_verdict_is_the_books(page, where, times):
    from helpers.findings.seed import fit_verdict
    marks = browser_trainer.payload()["landmarks"]
    mse = times * marks[where]
    assert page.evaluate("(m) => abTrainer.verdict(m)", mse) == fit_verdict(mse, marks)


def test_a_deep_sigmoid_network_shows_vanishing_gradients(page):
    grad_h = np.array(page.evaluate("""async () => { const r = await abTrainer.train({activation: 'sigmoid', depth: 30,
        width: 64, init: 'torch_default', lr: 1e-3, epochs: 10}, null, 1000); return Array.from(r.gradH); }"""))
    assert grad_h.shape == (30,) and (grad_h > 0).all()
    # other weights than torch's (the browser draws its own), same distribution: the same decay, within 2 decades
    book = init_statistics(30, 64, "sigmoid", "torch_default")["grad_h"]
    assert abs(math.log10(grad_h[-1] / grad_h[0]) - math.log10(book[-1] / book[0])) < 2


def test_changing_a_setting_mid_run_stops_and_resets(page):
    page.select_option(".ab-trainer [data-key=activation]", "gelu")
    page.eval_on_selector(".ab-trainer [data-key=epochs]", "el => { el.value = 500; }")
    page.click(".ab-trainer [data-key=train]")
    page.wait_for_function("document.querySelector('.ab-trainer .ab-status').textContent.startsWith('epoch')")
    page.evaluate("window.oldRun = abTrainer.current()")
    page.select_option(".ab-trainer [data-key=activation]", "tanh")
    assert status(page).startswith("stopped") and page.evaluate("abTrainer.current() === null")
    steps = page.evaluate("oldRun.loss.length")
    page.evaluate("new Promise(r => setTimeout(r, 300))")               # the old loop had time to go on
    assert page.evaluate("oldRun.stopped") and page.evaluate("oldRun.loss.length") == steps
    assert page.evaluate("abTrainer.ghost().s.activation") == "gelu"      # the stopped run stays, in grey
    assert "grey: the previous run (GELU" in page.inner_text(".ab-trainer .ab-ghost")
    page.eval_on_selector(".ab-trainer [data-key=epochs]", "el => { el.value = 20; }")
    page.click(".ab-trainer [data-key=train]")
    page.wait_for_function("document.querySelector('.ab-trainer .ab-status').textContent.startsWith('final')")
    run = page.evaluate("(() => { const r = abTrainer.current(); return {a: r.s.activation, n: r.loss.length}; })()")
    assert run == {"a": "tanh", "n": 20}


@pytest.mark.parametrize("settings, message", [
    ({"depth": 0}, "depth must be a whole number from 1 to 50"),
    ({"lr": -0.1}, "learning rate must lie in [0.0001, 1]"),
    ({"lr": 1e6}, "learning rate must lie in [0.0001, 1]"),
    ({"activation": "swish2"}, 'unknown activation "swish2"; choose one of identity, sigmoid'),
    ({"width": 7}, "width must be one of 8, 16, 32, 64, 128"),
    ({"activation": "constructor"}, 'unknown activation "constructor"'),
    ({"init": "he"}, 'unknown init "he"; choose one of torch_default, xavier, kaiming'),
    ({"epochs": 5}, "epochs must be a whole number from 10 to 500"),
])
def test_bad_settings_are_refused_with_the_valid_choices(page, settings, message):
    good = {"activation": "relu", "depth": 3, "width": 16, "init": "torch_default", "lr": 1e-3, "epochs": 10}
    error = page.evaluate("(s) => abTrainer.train(s).then(() => 'no error', (e) => e.message)", {**good, **settings})
    assert message in error and message in status(page)


def test_a_diverging_run_is_marked_and_the_page_stays_responsive(page):
    run = page.evaluate("""async () => { const r = await abTrainer.train({activation: 'leaky_relu', depth: 10,
        width: 64, init: 'torch_default', lr: 1, epochs: 200});
        return {diverged: r.diverged || 0, n: r.loss.length}; }""")
    assert run["diverged"] != 0 and status(page).startswith("diverged")
    assert page.evaluate("1 + 1") == 2
    calm = page.evaluate("""async () => (await abTrainer.train({activation: 'relu', depth: 3, width: 16,
        init: 'kaiming', lr: 1e-3, epochs: 10})).loss.length""")
    assert calm == 10 and math.isfinite(page.evaluate("abTrainer.current().loss[9]"))


def test_overlapping_calls_leave_one_run(page):
    page.evaluate("abTrainer.stop()")
    before = page.evaluate("tf.memory().numTensors")
    runs = page.evaluate("""async () => { const s = {activation: 'relu', depth: 3, width: 16, init: 'xavier', lr: 1e-3};
        const a = abTrainer.train({...s, epochs: 500}), b = abTrainer.train({...s, epochs: 20});   // not awaited
        const [ra, rb] = await Promise.all([a, b]);
        return {a: ra ? {stopped: ra.stopped, n: ra.loss.length} : null, b: rb.loss.length}; }""")
    assert runs["b"] == 20 and (runs["a"] is None or runs["a"]["stopped"]), runs
    page.evaluate("abTrainer.stop()")
    assert page.evaluate("tf.memory().numTensors") == before


def test_runs_leave_no_tensors_behind(page):
    page.evaluate("abTrainer.stop()")
    before = page.evaluate("tf.memory().numTensors")
    page.evaluate("""async () => { for (const a of ['gelu', 'sigmoid']) await abTrainer.train({activation: a, depth: 5,
        width: 32, init: 'xavier', lr: 1e-2, epochs: 30}); abTrainer.stop(); }""")
    assert page.evaluate("tf.memory().numTensors") == before


def _weights(page) -> list:
    return page.evaluate("abTrainer.current().net.p.map(pair => pair.map(t => t.arraySync()))")


def test_pause_step_and_resume_give_the_weights_of_an_uninterrupted_run(page):
    """Watching changes nothing: a run paused at once, stepped three epochs, then resumed ends with exactly the
    weights of the same run left alone; the buttons say which state the run is in."""
    s = "{activation: 'tanh', depth: 4, width: 16, init: 'torch_default', lr: 1e-2, epochs: 30}"
    page.evaluate(f"abTrainer.train({s})")
    alone = _weights(page)
    page.evaluate(f"() => {{ window._run = abTrainer.train({s}, null, 5, true); }}")   # starts paused
    page.wait_for_function("abTrainer.current() && abTrainer.current().paused && !abTrainer.current().done")
    for _ in range(3):
        page.click(".ab-trainer [data-key=step]")
    page.wait_for_function("abTrainer.current().loss.length === 3")
    assert page.inner_text(".ab-trainer [data-key=pause]") == "resume" and "(paused)" in status(page)
    page.wait_for_timeout(200)
    assert page.evaluate("abTrainer.current().loss.length") == 3          # paused: no epoch without a step
    page.click(".ab-trainer [data-key=pause]")
    page.evaluate("window._run")
    assert page.evaluate("abTrainer.current().loss.length") == 30
    assert _weights(page) == alone
    assert page.is_disabled(".ab-trainer [data-key=pause]") and not page.is_disabled(".ab-trainer [data-key=step]")


def test_the_previous_run_stays_as_a_ghost_through_a_settings_change(page):
    """After a run, changing a setting keeps that run on the canvases in grey, labelled; the next run draws over it."""
    page.evaluate("abTrainer.train({activation: 'relu', depth: 3, width: 16, init: 'torch_default', lr: 1e-3, "
                  "epochs: 20})")
    page.select_option(".ab-trainer [data-key=activation]", "sigmoid")
    assert page.evaluate("abTrainer.ghost().s.activation") == "relu"
    assert "grey: the previous run (ReLU, depth 3" in page.inner_text(".ab-trainer .ab-ghost")
    page.evaluate("abTrainer.train({activation: 'sigmoid', depth: 3, width: 16, init: 'kaiming', lr: 1e-3, "
                  "epochs: 10})")
    assert page.evaluate("abTrainer.ghost().s.activation") == "relu"
    assert "He init" in page.evaluate("abTrainer.P.init_labels.kaiming + ' init'")


@pytest.mark.parametrize("formula", list(browser_trainer.FORMULA_PRESETS.values()))
def test_a_formula_trains_as_torch_does(page, formula):
    """A reader's formula, parsed in the page and differentiated by TensorFlow.js, against the same formula parsed
    by helpers.byo.custom and trained by PyTorch in float64 (forward, every gradient, ||dL/dh_l||, units off, Adam)."""
    from helpers import byo
    name = "page_formula_" + str(abs(hash(formula)))
    byo.register(name, byo.formula(formula))
    try:
        depth, width, lr, steps = 4, 16, 1e-2, 5
        params = [(w.tolist(), b.tolist()) for w, b in init_params(0, NetConfig(depth, width), dtype=torch.float64)]
        got = _train_in_page(page, {"activation": "formula", "formula": formula, "depth": depth, "width": width},
                             params, lr, steps)
        out, grad_h, off, grads, losses = _torch_reference(name, depth, width, lr, steps)
    finally:
        byo.unregister(name)
    assert np.allclose(got["out"], out, rtol=1e-4, atol=1e-6)
    for (gw, gb), (tw, tb) in zip(got["grads"], grads):
        scale = max(np.abs(tw).max(), np.abs(tb).max())
        assert np.allclose(gw, tw, rtol=1e-3, atol=1e-5 * scale) and np.allclose(gb, tb, rtol=1e-3, atol=1e-5 * scale)
    assert np.allclose(got["gradH"], grad_h, rtol=1e-3, atol=0)
    assert np.abs(np.array(got["off"]) - off).max() <= 1 / width + 1e-9
    assert np.allclose(got["losses"], losses, rtol=1e-4)


@pytest.mark.parametrize("formula, why", [("x +", "ends too early"), ("import(x)", "not allowed"),
                                          ("x ** (", "ends too early"), ("1", "constant"), ("log(x)", "not finite"),
                                          ("alert(1)", "not allowed"), ("x; 1", "cannot be read")])
def test_a_bad_formula_is_refused_and_the_page_keeps_working(page, formula, why):
    msg = page.evaluate("""(formula) => { try { abTrainer.check({activation: "formula", formula, depth: 2, width: 8,
        init: "torch_default", lr: 0.01, epochs: 10}); return null; } catch (e) { return e.message; } }""", formula)
    assert msg and why in msg, msg
    done = page.evaluate("""() => abTrainer.train({activation: "formula", formula: "sin(x)", depth: 2, width: 8,
        init: "torch_default", lr: 0.01, epochs: 10}).then((run) => run.loss.length)""")
    assert done == 10


@pytest.mark.parametrize("first, deep", [("sigmoid", "relu"), ("relu", "tanh"), ("gelu", "identity")])
def test_an_activation_per_half_trains_as_torch_does(page, first, deep):
    """Layers past depth / 2 with their own activation, against the same mixed network in PyTorch float64: the
    forward pass, ||dL/dh_l|| and the loss over Adam's first steps."""
    depth, width, lr, steps = 4, 16, 1e-2, 5
    names = [first if l < math.ceil(depth / 2) else deep for l in range(depth)]
    init = init_params(0, NetConfig(depth, width), dtype=torch.float64)
    got = _train_in_page(page, {"activation": first, "deep": deep, "depth": depth, "width": width},
                         [(w.tolist(), b.tolist()) for w, b in init], lr, steps)
    data = make_dataset()
    x, y = data.x.double(), data.y.double()
    params = [(w.clone().requires_grad_(), b.clone().requires_grad_()) for w, b in init]
    opt = torch.optim.Adam([t for pair in params for t in pair], lr=lr, betas=browser_trainer.ADAM_BETAS, eps=1e-8)
    losses, out0, grad_h = [], None, None
    for t in range(steps):
        a, hs = x, []
        for l, name in enumerate(names):
            h = a @ params[l][0] + params[l][1]
            h.retain_grad()
            hs.append(h)
            a = activations.get(name).fn(h)
        out = a @ params[depth][0] + params[depth][1]
        loss = ((out - y) ** 2).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        if t == 0:
            out0, grad_h = out.detach()[:, 0].numpy(), np.array([h.grad.norm().item() for h in hs])
        opt.step()
    assert np.allclose(got["out"], out0, rtol=1e-4, atol=1e-6)
    assert np.allclose(got["gradH"], grad_h, rtol=1e-3, atol=0), (got["gradH"], grad_h)
    assert np.allclose(got["losses"], losses, rtol=1e-4)


def _torch_layered(variant, name, init, x, y, lr, steps, depth, width):
    """helpers.engine.blocks' equations written out in float64 (checked against BlockStack at init): output at init,
    ||dL/du_l|| at init and the loss before each of `steps` Adam steps."""
    from helpers.engine import blocks
    params = [(w.clone().requires_grad_(), b.clone().requires_grad_()) for w, b in init]
    norm = "layer" if "layernorm" in variant else "batch" if variant == "batchnorm" else None
    gains = [(torch.ones(width, dtype=torch.float64, requires_grad=True),
              torch.zeros(width, dtype=torch.float64, requires_grad=True)) for _ in range(depth)] if norm else []
    phi, residual = activations.get(name).fn, variant.startswith("residual")

    def normalise(h, l):
        dim = 1 if norm == "layer" else 0
        mean, var = h.mean(dim, keepdim=True), h.var(dim, unbiased=False, keepdim=True)
        return (h - mean) / torch.sqrt(var + blocks.EPS) * gains[l][0] + gains[l][1]

    def forward():
        a, us = x, []
        for l in range(depth):
            skip = residual and l > 0
            u = (normalise(a, l) if skip and norm else a) @ params[l][0] + params[l][1]
            if norm and not residual:
                u = normalise(u, l)
            u.retain_grad()
            us.append(u)
            a = a + phi(u) if skip else phi(u)
        return a @ params[depth][0] + params[depth][1], us

    stack = blocks.BlockStack(variant, StackedMLP.from_seeds([name], [0], NetConfig(depth, width), dtype=torch.float64))
    with torch.no_grad():
        reference = stack.forward(x)[0][0]
    assert torch.allclose(reference, forward()[0].detach())   # the reference is helpers.engine.blocks'
    opt = torch.optim.Adam([t for pair in params + gains for t in pair], lr=lr, betas=browser_trainer.ADAM_BETAS,
                           eps=1e-8)
    losses, out0, grad_u = [], None, None
    for t in range(steps):
        out, us = forward()
        loss = ((out - y) ** 2).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        if t == 0:
            out0, grad_u = out.detach()[:, 0].numpy(), np.array([u.grad.norm().item() for u in us])
        opt.step()
    return out0, grad_u, losses


@pytest.mark.parametrize("variant", ["layernorm", "batchnorm", "residual", "residual_layernorm"])
@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_each_layer_type_trains_as_helpers_blocks_does(page, variant, name):
    """Chapter 9's layer types in the page (autodiff there) against helpers.engine.blocks' equations in PyTorch float64:
    the forward pass, ||dL/du_l|| (u_l: the argument of phi) and the loss over Adam's first steps."""
    depth, width, lr, steps = 4, 16, 1e-2, 5
    init = init_params(0, NetConfig(depth, width), dtype=torch.float64)
    got = _train_in_page(page, {"activation": name, "layer": variant, "depth": depth, "width": width},
                         [(w.tolist(), b.tolist()) for w, b in init], lr, steps)
    data = make_dataset()
    out, grad_u, losses = _torch_layered(variant, name, init, data.x.double(), data.y.double(), lr, steps, depth, width)
    # float32 against float64: a norm divides by the spread of a layer, which amplifies float32's rounding
    worst = np.abs(np.array(got["out"]) - out).max()
    assert np.allclose(got["out"], out, rtol=1e-4, atol=5e-5 * np.abs(out).max()), worst
    assert np.allclose(got["gradH"], grad_u, rtol=1e-3, atol=0), (got["gradH"], grad_u)
    assert np.allclose(got["losses"], losses, rtol=1e-4), (got["losses"], losses)
