"""The explorers' callbacks, called directly (an exception inside a live widget is otherwise never
seen by a test), and the static explorers' payloads."""
import json
import re

import numpy as np
import pytest

from helpers import static_explorers, widgets
from helpers.train import TrainConfig


def test_init_view_shows_the_requested_network():
    fig = widgets.init_figure(7, 16, "relu", "kaiming")
    lines = {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}
    grad = lines["||dL/dh_l||"]
    assert list(grad.get_xdata()) == list(range(1, 8))
    assert np.allclose(grad.get_ydata(), widgets.init_statistics(7, 16, "relu", "kaiming")["grad_h"])
    assert "ReLU, depth 7, width 16, init kaiming" in fig._suptitle.get_text()


def test_init_view_updates_in_place():
    view = widgets.InitView()
    view.update(3, 8, "tanh", "xavier")
    fig = view.update(12, 8, "sigmoid", "torch_default")
    grad = fig.axes[2].get_lines()[0]
    assert len(grad.get_xdata()) == 12 and grad.get_color() == "#0072B2"


def test_init_statistics_follow_theory_for_critical_relu():
    s = widgets.init_statistics(20, 64, "relu", "kaiming")
    assert 0.1 < s["grad_h"][0] / s["grad_h"][-1] < 10          # He-initialised ReLU: no vanishing
    d = widgets.init_statistics(20, 64, "relu", "torch_default")
    assert d["grad_h"][0] / d["grad_h"][-1] < 1e-5               # the default vanishes


def test_train_figure_and_divergence_are_shown_not_raised():
    fig = widgets.train_figure(3, 16, "leaky_relu", "torch_default", lr=1.0, epochs=30)
    assert len(fig.axes[0].get_lines()[0].get_ydata()) == 30
    assert "learned function" in fig.axes[1].get_title()


def test_guarded_reports_errors_in_the_widget():
    class Box:
        value = None
    image, status = Box(), Box()
    widgets._guarded(image, status, lambda: widgets.init_figure(3, 8, "nope", "xavier"))
    assert "unknown activation 'nope'" in __import__("html").unescape(status.value) and image.value is None


@pytest.fixture(scope="module")
def tiny_run(data):
    from helpers import experiments
    return experiments.grid(["relu", "gelu"], [0], data, TrainConfig(epochs=20, record_epochs=(0, 10)),
                            depth=4, width=16)


def test_dynamics_figure_and_static_explorer(tiny_run):
    fig = widgets.dynamics_figure(tiny_run, "gelu", 10)
    assert "epoch 10" in fig.axes[0].get_title()
    html = static_explorers.dynamics_explorer(tiny_run)
    payload = json.loads(re.search(r'type="application/json" id="[^"]+">(.*?)</script>', html, re.S).group(1))
    assert payload["controls"] == {"activation": ["relu", "gelu"], "epoch": [0, 10, 20]}
    record = payload["records"]["gelu|10"]
    pred = tiny_run.sel("pred", activation="gelu", seed=0)[1]
    x = np.asarray(tiny_run.coords["x_wide"])
    inside = __import__("helpers").data.on_training_interval(x)
    assert np.allclose(record["f"][1]["y"][:5], pred[inside][::2][:5], rtol=1e-3, atol=1e-4)
    assert "https://" not in html and "<script src" not in html    # nothing fetched at read time


def test_static_init_explorer_records_match_the_computation():
    html = static_explorers.init_explorer(names=("tanh",), depths=(2, 3), inits=("xavier",))
    payload = json.loads(re.search(r'type="application/json" id="[^"]+">(.*?)</script>', html, re.S).group(1))
    rec = payload["records"]["tanh|xavier|3"]
    assert np.allclose(rec["grad_h"][0]["y"], widgets.init_statistics(3, 64, "tanh", "xavier")["grad_h"], rtol=1e-3)
