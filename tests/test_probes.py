import math

import numpy as np
import pytest
import torch

from helpers.core import workspace
from helpers.core.activations import ACTIVATIONS
from helpers.core.config import Schedule, TrainConfig
from helpers.core.models import MLP, NetConfig, StackedMLP
from helpers.engine import probes
from helpers.engine.recorder import Recorder


def _hand_gradients(net: MLP, x, y):
    """mean |dL/dW_l| and ||dL/dh_l|| straight from autograd on an ordinary nn.Module."""
    hs = []

    def keep(module, inputs, h):
        h.retain_grad()
        hs.append(h)

    hooks = [lin.register_forward_hook(keep) for lin in net.layers[:-1]]
    loss = ((net(x) - y) ** 2).mean()
    loss.backward()
    for h in hooks:
        h.remove()
    gw = torch.stack([lin.weight.grad.abs().mean() for lin in net.layers[:-1]])
    gh = torch.stack([h.grad.norm() for h in hs])
    return gw, gh


def test_layer_gradients_match_autograd_by_hand(data):
    names = ["sigmoid", "relu", "gelu", "identity"]
    nets = [MLP(a, NetConfig(6, 32), seed=s, dtype=torch.float64) for s, a in enumerate(names)]
    stack = StackedMLP.from_modules(nets)
    gw, gh = probes.layer_gradients(stack, data.x, data.y)
    for m, net in enumerate(nets):
        ref_w, ref_h = _hand_gradients(net, data.x, data.y)
        assert torch.allclose(gw[m], ref_w, rtol=1e-10)
        assert torch.allclose(gh[m], ref_h, rtol=1e-10)
    assert (stack.grad == 0).all()  # probes never touch the training gradient buffer


def test_unit_states_on_hand_built_units():
    # one hidden layer of 4 units, input grid on [-1, 1]; units: always on, dead, half on, saturated
    w = torch.tensor([[1.0, 1.0, 1.0, 5.0]], dtype=torch.float64)
    b = torch.tensor([5.0, -5.0, 0.0, 15.0], dtype=torch.float64)
    params = [(w, b), (torch.ones(4, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))]
    flat = torch.cat([t.reshape(-1) for wb in params for t in wb])
    x = torch.linspace(-1, 1, 101, dtype=torch.float64).unsqueeze(1)
    net = StackedMLP(["relu", "leaky_relu", "sigmoid"], flat.repeat(3, 1), 1, 4)
    fractions, per_unit, _ = probes.unit_states(net, x)
    states = dict(zip(probes.UNIT_STATES, fractions[:, 0].T))
    relu, leaky, sigmoid = 0, 1, 2
    # ReLU: unit 2 (h = x - 5 < 0) is dead; unit 4 (h in [10, 20]) is on everywhere
    assert states["dead"][relu] == 0.25 and states["off"][relu] == 0.25
    assert states["active"][relu] == (101 + 0 + 50 + 101) / (4 * 101)  # x > 0 for 50 of 101 points
    # Leaky ReLU: the same unit passes 1% of the gradient: off everywhere, but not dead nor saturated
    assert states["dead"][leaky] == 0 and states["off"][leaky] == 0.25 and states["saturated"][leaky] == 0
    # sigmoid: unit 4 sits at h in [10, 20], where 0 < sigma' < 1% of 1/4: saturated, not dead
    assert states["saturated"][sigmoid] == 0.25 and states["dead"][sigmoid] == 0
    # per unit: the fraction of inputs at which each ReLU unit is on
    assert per_unit[relu, 0].tolist() == [1.0, 0.0, 50 / 101, 1.0]


def test_pre_activations_and_activate(data):
    stack = StackedMLP.from_seeds(["tanh", "relu"], [0, 1], NetConfig(5, 16), dtype=torch.float64)
    pre = probes.pre_activations(stack, data.x_test)
    assert len(pre) == 5 and pre[2].shape == (2, len(data.x_test), 16)
    a = stack.activate(pre[2])
    assert torch.allclose(a[0], torch.tanh(pre[2][0])) and torch.allclose(a[1], torch.relu(pre[2][1]))


def test_unit_states_equal_their_definitions_chunk_by_chunk(data, monkeypatch):
    """The engine-layout states, a few models per chunk, against each definition written out per model,
    layer and unit on the plain forward pass [M, N, width]."""
    monkeypatch.setattr(workspace, "CHUNK_ELEMENTS", 3 * 16 * len(data.x_test))     # chunks of 3 models
    names = [n for n in ACTIVATIONS for _ in range(2)]
    net = StackedMLP.from_seeds(names, list(range(len(names))), NetConfig(4, 16), dtype=torch.float64, weight_scale=3.0)
    fractions, per_unit, zero = probes.unit_states(net, data.x_test)
    for m, act in enumerate(net.acts):
        for l, h in enumerate(probes.pre_activations(net, data.x_test)):
            slope = act.derivative(h[m]).abs() / act.max_slope                   # [N, width]
            on = slope >= probes.ON_THRESHOLD
            a = act.fn(h[m]).abs()
            want = [on.double().mean(), (slope == 0).all(0).double().mean(),
                    (slope < probes.SATURATION_THRESHOLD).all(0).double().mean(), (~on).all(0).double().mean()]
            assert fractions[m, l].tolist() == [float(w) for w in want], (act.name, l)
            assert per_unit[m, l].tolist() == on.double().mean(0).tolist()
            assert zero[m, l] == (a < probes.VALUE_ZERO * a.max()).double().mean()


def test_recorder_probes_equal_the_plain_forward(data):
    """Test loss, hidden units and predictions that the Recorder reads off the engine's forward pass equal
    those of the plain forward pass (StackedMLP.forward)."""
    names = ["tanh", "relu", "relu", "gelu", "identity"]
    net = StackedMLP.from_seeds(names, list(range(len(names))), NetConfig(5, 16), dtype=torch.float64)
    cfg = TrainConfig(epochs=10,
                      log=Schedule(probe_layers=(1, 3)))         # epoch 10: test loss, states and records due
    rec = Recorder(cfg, data.to("cpu", torch.float64), net.M, 5, 16)
    test = rec.end_of_epoch(10, net, torch.ones(net.M, dtype=torch.bool))
    out, _ = net(data.x_test.double())
    assert torch.allclose(test, probes.per_model_mse(out, data.y_test.double()), rtol=1e-13, atol=0)
    _, pre = net(data.x_test[::10].double(), keep=True)                       # the hidden units' grid
    hidden = torch.stack([net.activate(pre[l - 1]) for l in (1, 3)], 1).detach().float().numpy()
    pred = net(data.x_wide.double())[0][..., 0].detach().float().numpy()
    assert np.allclose(rec.out["hidden"][:, -1], hidden, rtol=1e-6, atol=1e-7)
    assert np.allclose(rec.out["pred"][:, -1], pred, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_relative_slope_is_the_closed_form_derivative(name):
    """The backward kernel's phi' (what states and training use) is the closed-form derivative to rounding
    (1 - tanh^2 cancels: absolute, not relative), with its exact zeros at the same inputs (dead: phi' == 0),
    from 1e-3 to 60 either side and at +-inf; NaN at NaN; the same from a given phi(h), into a buffer, or
    from float32 inputs (converted first)."""
    act = ACTIVATIONS[name]
    mag = torch.logspace(-3, math.log10(60), 4001, dtype=torch.float64)
    h = torch.cat([-mag.flip(0), torch.zeros(1, dtype=torch.float64), mag, torch.tensor([-math.inf, math.inf])])
    kernel, closed = probes.relative_slope(act, h), act.derivative(h).abs() / act.max_slope
    assert torch.allclose(kernel, closed, rtol=1e-13, atol=1e-15, equal_nan=True)
    assert torch.equal(kernel == 0, closed == 0)
    assert probes.relative_slope(act, torch.tensor([math.nan, 1.0], dtype=torch.float64))[0].isnan()
    same = lambda u, v: torch.allclose(u, v, rtol=1e-13, atol=1e-15, equal_nan=True) # (strided: last bit)
    buf = torch.full((2, len(h)), math.nan, dtype=torch.float64)
    wide = torch.stack([h, -h]).T                                 # non-contiguous, as the blocks' path hands in
    probes.relative_slope(act, wide, act.fn(wide), buf.T)
    assert same(buf[0], kernel) and same(buf[1], probes.relative_slope(act, -h))
    f32 = probes.relative_slope(act, h.float(), act.fn(h.float()))     # its float32 phi(h) is not used
    assert f32.dtype == torch.float64 and same(f32, probes.relative_slope(act, h.float().double()))


def test_a_unit_on_somewhere_is_not_off_even_where_its_slope_is_nan():
    """GELU's slope is NaN at h = inf (closed form and backward kernel alike): that input is not on, and the
    unit, on at h = 1, is not off
    (nor dead or saturated)."""
    act = ACTIVATIONS["gelu"]
    h = torch.tensor([[[float("inf"), 1.0]]], dtype=torch.float64)          # [model, unit, input]
    fractions, per_unit, _ = probes.states([(act, 0, 1)], [h], [act.fn(h)])
    assert dict(zip(probes.UNIT_STATES, fractions[0, 0].tolist())) == {"active": 0.5, "dead": 0.0,
                                                                        "saturated": 0.0, "off": 0.0}
    assert per_unit[0, 0].tolist() == [0.5]


def test_a_workspace_serves_only_its_own_network():
    net, other = (StackedMLP.from_seeds(["relu"], [s], NetConfig(2, 8), dtype=torch.float64) for s in (0, 1))
    x = torch.zeros(5, 1, dtype=torch.float64)
    ws = workspace.Workspace(net, 5)
    with pytest.raises(ValueError, match="another network"):
        next(workspace.forward(other, x, ws))
    with pytest.raises(ValueError, match="not 4"):
        next(workspace.forward(net, x[:4], ws))
