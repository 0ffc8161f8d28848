"""The explorers' callbacks, called directly (an exception inside a live widget is otherwise never
seen by a test), and the static explorers' payloads."""
import html
import json
import math
import re

import matplotlib
import numpy as np
import pytest
import torch

import helpers
from helpers import plotting
from helpers.core import activations
from helpers.core.config import Schedule, TrainConfig
from helpers.core.data import make_dataset, on_training_interval
from helpers.core.models import NetConfig, StackedMLP
from helpers.engine import probes
from helpers.engine.runs import grid
from helpers.experiments.explorer_stats import init_statistics, on_interval
from helpers.interactive import static_explorers, widgets


def test_init_view_shows_the_requested_network():
    fig = widgets.init_figure(7, 16, "relu", "kaiming")
    lines = {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}
    grad = lines["||dL/dh_l||"]
    assert list(grad.get_xdata()) == list(range(1, 8))
    assert np.allclose(grad.get_ydata(), init_statistics(7, 16, "relu", "kaiming")["grad_h"])
    assert "ReLU, depth 7, width 16, init kaiming" in fig._suptitle.get_text()


def test_init_view_updates_in_place():
    view = widgets.InitView()
    view.update(3, 8, "tanh", "xavier")
    fig = view.update(12, 8, "sigmoid", "torch_default")
    grad = fig.axes[2].get_lines()[0]
    assert len(grad.get_xdata()) == 12 and grad.get_color() == "#1F4E9C"


def test_init_statistics_follow_theory_for_critical_relu():
    s = init_statistics(20, 64, "relu", "kaiming")
    assert 0.1 < s["grad_h"][0] / s["grad_h"][-1] < 10          # He-initialised ReLU: no vanishing
    d = init_statistics(20, 64, "relu", "torch_default")
    assert d["grad_h"][0] / d["grad_h"][-1] < 1e-5               # the default vanishes
    assert d["grad_ratio"][-1] == pytest.approx(1.0)


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_init_statistics_match_the_probes_definitions(name):
    """The explorer's fast path (the engine's backward, on-units by interval) against the reference
    definitions in helpers.engine.probes (autograd, phi' in closed form), on the same three networks."""
    depth = 30 if name == "sigmoid" else 6   # sigmoid at depth 30: gradients near 1e-20, relative check
    s = init_statistics(depth, 16, name, "torch_default")
    net = StackedMLP.from_seeds([name] * 3, [0, 1, 2], NetConfig(depth, 16), dtype=torch.float64)
    data = make_dataset()
    x, y = data.x.double(), data.y.double()
    pre = torch.stack(probes.pre_activations(net, x))
    gw, gh = probes.layer_gradients(net, x, y)
    geo = lambda g: np.exp(np.log(g.numpy()).mean(0))
    assert np.allclose(s["grad_h"], geo(gh), rtol=1e-9, atol=0) and np.allclose(s["grad_w"], geo(gw), rtol=1e-9, atol=0)
    assert np.allclose(s["h_std"], pre.std(dim=(2, 3)).mean(1).numpy(), rtol=1e-9)
    on = probes.is_on(activations.get(name), pre)
    assert np.array_equal(s["active"], on.double().mean(dim=(1, 2, 3)).numpy())


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_on_interval_is_exactly_where_units_are_on(name):
    lo, hi = on_interval(name)
    h = torch.cat([torch.linspace(-40, 40, 100_001, dtype=torch.float64), torch.randn(100_000, dtype=torch.float64) * 5,
                   torch.tensor([lo, hi, 0.0]).double().nextafter(torch.tensor(-math.inf).double()),
                   torch.tensor([lo, hi, 0.0]).double().nextafter(torch.tensor(math.inf).double())])
    h = h[h.isfinite()]
    assert torch.equal((h >= lo) & (h <= hi), probes.is_on(activations.get(name), h))


def test_png_does_not_depend_on_the_backend():
    """JupyterLab's inline backend gives figures a canvas without print_png; png() draws anyway."""
    from matplotlib.backend_bases import FigureCanvasBase
    fig = widgets.init_figure(3, 8, "relu", "xavier")
    FigureCanvasBase(fig)                                      # the canvas a non-Agg backend leaves
    assert not hasattr(fig.canvas, "print_png")
    assert widgets.png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.get_backend().lower() == "agg"           # the test's own backend is unchanged


def test_train_figure_says_when_a_run_diverges(data):
    fig, note = widgets.train(3, 16, "leaky_relu", "torch_default", lr=1.0, epochs=30)
    loss = fig.axes[0].get_lines()[0].get_ydata()
    assert len(loss) == 30 and note.startswith("diverged") and "diverged" in fig.axes[1].get_title()
    constant = helpers.landmarks(data)["constant"]                 # the run really diverged (chapter 4's rule)
    assert not np.isfinite(loss).all() or np.median(loss[-10:]) > 10 * constant
    calm = widgets.train_figure(3, 16, "relu", "torch_default", lr=1e-3, epochs=20)
    assert "diverged" not in calm.axes[1].get_title() and len(calm.axes[1].get_lines()) == 2


def test_guarded_reports_errors_in_the_widget():
    class Box:
        value = None
    image, status = Box(), Box()
    widgets.guarded(image, status, lambda: widgets.init_figure(3, 8, "nope", "xavier"))
    assert "unknown activation 'nope'" in html.unescape(status.value) and image.value is None


@pytest.fixture(scope="module")
def tiny_run(data):
    return grid(["relu", "gelu"], [0], data, TrainConfig(epochs=20,
                                                         log=Schedule(record_epochs=(0, 10))), NetConfig(4, 16))


def _payload(page: str) -> dict:
    return json.loads(re.search(r'type="application/json" id="[^"]+">(.*?)</script>', page, re.S).group(1))


def test_dynamics_figure_and_static_explorer(tiny_run):
    fig = plotting.epoch_view(tiny_run, "gelu", 10)
    assert "epoch 10" in fig.axes[0].get_title()
    page = static_explorers.dynamics_explorer(tiny_run)
    payload = _payload(page)
    assert payload["controls"] == {"activation": ["relu", "gelu"], "epoch": [0, 10, 20]}
    assert payload["compare"] == "activation"
    record = payload["records"]["gelu|10"]
    pred = tiny_run.sel("pred", activation="gelu", seed=0)[1]
    inside = on_training_interval(np.asarray(tiny_run.coords["x_wide"]))
    assert np.allclose(record["f"][1]["y"][:5], pred[inside][::2][:5], rtol=1e-3, atol=1e-4)
    assert "https://" not in page and "<script src" not in page    # nothing fetched at read time


def test_static_init_explorer_has_fixed_axes_and_a_reference_line():
    page = static_explorers.init_explorer(names=("tanh", "sigmoid"), depths=(2, 30), inits=("xavier",),
                                          layers=("plain", "residual"))
    payload = _payload(page)
    for variant in ("plain", "residual"):
        rec = payload["records"][f"tanh|xavier|{variant}|30"]
        assert np.allclose(rec["grad_ratio"][0]["y"],
                           init_statistics(30, 64, "tanh", "xavier", variant=variant)["grad_ratio"], rtol=1e-3)
    panel = {p["name"]: p for p in payload["panels"]}["grad_ratio"]
    ys = [v for r in payload["records"].values() for v in r["grad_ratio"][0]["y"]]
    lo, hi = panel["ylim"]                                          # one range (in decades) for every setting
    assert lo <= np.log10(min(ys)) and np.log10(max(ys)) <= hi and panel["ref"] == 1.0
    assert hi - lo > 10                                            # sigmoid at depth 30 spans many decades


def test_the_live_and_static_explorers_draw_chapter_12s_four():
    """With the four registered (chapter 7 registers them), the live view draws Snake and the sine (on in many
    intervals), and the static explorer offers the four beside the nine by default."""
    from helpers import byo
    with byo.extras_registered():
        view = widgets.InitView()
        for name in byo.EXTRAS:
            fig = view.update(5, 8, name, "kaiming")
            assert len(fig.axes[1].get_lines()[0].get_ydata()) == 5
        page = static_explorers.init_explorer(names=("relu", "sine", "snake"), depths=(2,), inits=("kaiming",),
                                              layers=("plain",))
        assert "snake|kaiming|plain|2" in _payload(page)["records"]
    from helpers.experiments.registry_deep import explorer_names
    assert set(byo.EXTRAS) <= set(explorer_names())
