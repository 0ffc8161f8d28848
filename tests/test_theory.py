import math

import numpy as np
import pytest
import torch

from helpers import theory
from helpers.core import activations
from helpers.core.activations import ACTIVATIONS
from helpers.experiments import at_init


def test_gaussian_expectations_against_closed_forms():
    q = 2.5
    assert theory.gauss_mean(lambda h: h ** 2, q) == pytest.approx(q, rel=1e-6)
    assert theory.gauss_mean(lambda h: torch.relu(h) ** 2, q) == pytest.approx(q / 2, rel=1e-6)
    assert theory.gauss_mean(lambda h: ACTIVATIONS["relu"].derivative(h) ** 2, q) == pytest.approx(0.5, rel=1e-9)
    # small q: sigmoid' ~ 1/4 everywhere that matters
    sigmoid_slope2 = theory.gauss_mean(lambda h: ACTIVATIONS["sigmoid"].derivative(h) ** 2, 1e-6)
    assert sigmoid_slope2 == pytest.approx(1 / 16, rel=1e-4)


def test_sigma_w2_of_each_init():
    assert theory.sigma_w2("torch_default") == pytest.approx(1 / 3)
    assert theory.sigma_w2("xavier") == pytest.approx(1.0)
    assert theory.sigma_w2("kaiming") == pytest.approx(2.0)
    assert theory.sigma_w2("lecun") == pytest.approx(1.0)
    assert theory.sigma_w2("orthogonal") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="valid choices"):
        theory.sigma_w2("glorot_uniform")


def test_critical_points_against_closed_forms():
    """chi_1 = 1 at the fixed point q*, zero bias: tanh, identity and ELU at sigma_w^2 = 1 (q* = 0,
    phi'(0) = 1), ReLU at 2, Leaky ReLU at 2 / (1 + 0.01^2); GELU and SiLU have none: the signal
    jumps from dying out (chi_1 = sigma_w^2 / 4) to exploding (chi_1 = sigma_w^2 / 2)."""
    assert theory.critical_sigma_w2("tanh") == pytest.approx(1.0, rel=1e-9)
    assert theory.critical_sigma_w2("identity") == pytest.approx(1.0, rel=1e-9)
    assert theory.critical_sigma_w2("elu") == pytest.approx(1.0, rel=1e-5)
    assert theory.critical_sigma_w2("relu") == pytest.approx(2.0, rel=1e-9)
    assert theory.critical_sigma_w2("leaky_relu") == pytest.approx(2 / (1 + 0.01 ** 2), rel=1e-9)
    for name in ("gelu", "silu"):
        assert math.isnan(theory.critical_sigma_w2(name))
        lo, hi = theory.critical_jump(name)
        (q_lo, c_lo), (q_hi, c_hi) = theory.chi_1(name, lo), theory.chi_1(name, hi)
        assert q_lo == 0 and c_lo == pytest.approx(lo / 4, rel=1e-3)
        assert math.isinf(q_hi) and c_hi == pytest.approx(hi / 2, rel=1e-3)
    s = theory.critical_sigma_w2("sigmoid")                      # sigma(0) = 1/2: q* > 0 at any sigma_w
    q, c = theory.chi_1("sigmoid", s)
    assert 50 < s < 200 and q > 1 and c == pytest.approx(1.0, abs=1e-6)


def test_fixed_point_and_depth_scale():
    assert theory.fixed_point("relu", 1.5) == 0.0 and math.isinf(theory.fixed_point("relu", 2.5))
    assert theory.fixed_point("tanh", 0.9) == 0.0
    q = theory.fixed_point("tanh", 2.0)
    assert theory.variance_map("tanh", 2.0)(q) == pytest.approx(q, rel=1e-9) and q > 0.1
    assert theory.chi_1("gelu", 2.0) == (0.0, pytest.approx(0.5, rel=1e-3))   # He is not critical for GELU
    assert theory.depth_scale(math.exp(-0.5)) == pytest.approx(2.0) and math.isinf(theory.depth_scale(1.0))


def test_mean_field_closed_form_cases():
    ident = theory.mean_field("identity")
    assert np.allclose(ident.chi, 1 / 3)                                   # sigma_w^2 = 1/3, phi' = 1
    assert ident.grad_h_ratio() == pytest.approx((1 / 3) ** 4.5)
    he = theory.mean_field("relu", init="kaiming")
    assert np.allclose(he.chi, 1.0, atol=1e-9) and np.allclose(he.q[:, 1:], he.q[:, 1:2], rtol=1e-9)  # critical
    assert theory.mean_field("relu", weight_scale=2.0).chi[0, 3] == pytest.approx(4 / 6, rel=1e-6)
    gelu = theory.mean_field("gelu")
    assert gelu.grad_h_profile()[-1] == pytest.approx(1.0, rel=1e-12)
    assert gelu.grad_h_profile()[0] == pytest.approx(gelu.grad_h_ratio())
    assert np.array_equal(theory.mean_field("tanh", 20).truncated(7).chi, theory.mean_field("tanh", 7).chi)


def test_mean_field_runs_one_recursion_per_input():
    """Each input carries its own q_l (x = 0 feeds layer 2 only the bias's variance); with every input alike the
    batch's ratio is that input's product of sqrt(chi); the inputs combine with weights, never by pooled moments."""
    mf = theory.mean_field("tanh", 10, 64, "kaiming")
    assert mf.q.shape == (200, 10) and mf.q[0, 1] > 10 * mf.q[99, 1] > 0       # x = -pi vs x = -0.016
    one = theory.mean_field("tanh", 10, 64, "kaiming", x=np.full(3, 1.0), y=np.zeros(3))
    assert one.grad_h_ratio() == pytest.approx(math.sqrt(np.prod(one.chi[0, :-1])), rel=1e-12)
    lo, hi = np.sqrt(mf.chi_products()[:, 0]).min(), np.sqrt(mf.chi_products()[:, 0]).max()
    assert lo < mf.grad_h_ratio() < hi


def test_gauss_moments_match_quadrature_and_closed_forms():
    """The splined Gaussian moments against direct quadrature (to 1e-8) and closed forms (ReLU: q/2, 1/2,
    sqrt(q / 2 pi)); E||softmax(z) - e_y||^2 runs from 0.9 (small logits) toward 1.8 (large)."""
    q = np.logspace(-13, 13, 27)
    for name in ("tanh", "gelu", "sigmoid", "elu"):
        act = activations.get(name)
        a2, d2, m = theory.gauss_moments(name, q)
        square, slope2 = (lambda h, a=act: a.fn(h) ** 2), (lambda h, a=act: a.derivative(h) ** 2)
        for i, v in enumerate(q):
            assert a2[i] == pytest.approx(theory.gauss_mean(square, v), rel=1e-8)
            assert d2[i] == pytest.approx(theory.gauss_mean(slope2, v), rel=1e-8)
            assert m[i] == pytest.approx(theory.gauss_mean(act.fn, v), rel=1e-8, abs=1e-9 * math.sqrt(v))
    a2, d2, m = theory.gauss_moments("relu", q)
    assert np.allclose(a2, q / 2, rtol=1e-9) and np.allclose(d2, 0.5) and np.allclose(m, np.sqrt(q / 2 / math.pi))
    s = theory.softmax_gradient_sq(np.array([1e-10, 1e6]))
    assert s[0] == pytest.approx(0.9, abs=1e-6) and 1.7 < s[1] < 1.8


@pytest.mark.parametrize("init, name", [("kaiming", "gelu"), ("kaiming", "elu"), ("torch_default", "tanh"),
                                        ("torch_default", "sigmoid")])
def test_mean_field_per_input_against_wide_networks(data, init, name):
    """The layer 1 / layer 10 ratio of ||dL/dh_l|| of freshly drawn networks, geometric mean over seeds, against
    the per-input mean field at the same width: within 40% at width 64 and 25% at width 1024 (layer 1, fed one
    number, fluctuates most from seed to seed). These are cases where one pooled recursion missed by 2 to 4x."""
    from helpers.core.models import NetConfig, StackedMLP
    from helpers.engine.probes import layer_gradients
    for width, seeds, tol in ((64, 8, 0.4), (1024, 4, 0.25)):
        net = StackedMLP.from_seeds([name] * seeds, list(range(seeds)), NetConfig(10, width, init), dtype=torch.float64)
        gh = layer_gradients(net, data.x.double(), data.y.double())[1].numpy()
        measured = np.exp(np.log(gh[:, 0] / gh[:, -1]).mean())
        predicted = theory.mean_field(name, 10, width, init).grad_h_ratio()
        assert abs(math.log(measured / predicted)) < math.log(1 + tol), (width, measured, predicted)


@pytest.fixture(scope="module")
def sweep(data):
    return at_init.init_sweep(["sigmoid", "relu", "tanh"], [5, 10], [0, 1, 2, 3], data,
                              cases=("torch_default", "kaiming", "edge"))


def test_theory_predicts_the_measured_per_layer_gain(sweep, data):
    """Mean field against simulation at depth 10: per-layer gains of layers 2..9 within 20%, the 9-layer
    ratio within a factor 2 (layer 1, fed the raw input, is the loosest)."""
    for case in ("torch_default", "kaiming"):
        for name in ("sigmoid", "relu", "tanh"):
            g = sweep.sel("grad_h", case=case, activation=name, depth=10)       # [seed, layer]
            measured = np.exp(np.log(g[:, 1:-1] / g[:, 2:]).mean(0))
            profile = theory.mean_field(name, 10, init=case, x=data.x.numpy(), y=data.y.numpy()).grad_h_profile()
            assert np.allclose(measured, profile[1:-1] / profile[2:], rtol=0.2), (case, name, measured)
            ratio = np.exp(np.log(g[:, 0] / g[:, -1]).mean())
            assert 0.5 < ratio / sweep.sel("theory_h", case=case, activation=name, depth=10)[0] < 2


def test_sweep_layout_and_edge_init(sweep):
    assert sweep["grad_h"].shape == (3, 3, 2, 4, 10)
    assert np.isnan(sweep.sel("grad_h", case="kaiming", activation="relu", depth=5)[:, 5:]).all()
    assert np.allclose(sweep.sel("theory_h", case="kaiming", activation="relu", depth=5)[4], 1.0)
    assert sweep.sel("sigma_w2", case="edge", activation="tanh") == pytest.approx(1.0, rel=1e-6)
    assert sweep.sel("sigma_w2", case="edge", activation="relu") == pytest.approx(2.0, rel=1e-6)


def test_mean_field_for_images_layer_one_and_he_relu():
    """Many inputs per example (the digits): layer 1's variance is Var(W) |x|^2 + Var(b) averaged over the
    images, against freshly drawn networks; He-initialised ReLU keeps the gradient exactly (ratio 1)."""
    from helpers.core.data import digits
    from helpers.core.models import NetConfig, init_params
    x = digits().x
    for init in ("torch_default", "kaiming"):
        mf = theory.mean_field("tanh", 5, 64, init, x=x.numpy())
        first = [init_params(s, NetConfig(2, 64, init), torch.float64, d_in=64, d_out=10)[0] for s in range(40)]
        h1 = torch.stack([x @ w + b for w, b in first])
        assert float((h1 ** 2).mean()) == pytest.approx(mf.q[:, 0].mean(), rel=0.05)
    he = theory.mean_field("relu", 20, 64, "kaiming", x=x.numpy(), task="classification")
    assert he.grad_h_ratio() == pytest.approx(1.0, rel=1e-9)
