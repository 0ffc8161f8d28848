import pytest
import torch

from helpers.core import activations
from helpers.core.activations import ACTIVATIONS, SEED_ACTIVATIONS


def test_seed_five_are_registered():
    assert set(SEED_ACTIVATIONS) <= set(ACTIVATIONS)
    assert set(ACTIVATIONS) == {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "elu", "silu", "selu"}


def test_selu_keeps_mean_zero_and_variance_one_of_a_unit_gaussian():
    """SELU's constants are chosen so that h ~ N(0, 1) gives E[phi(h)] = 0 and E[phi(h)^2] = 1."""
    from helpers import theory
    assert theory.gauss_mean(activations.get("selu").fn, 1.0) == pytest.approx(0.0, abs=1e-6)
    assert theory.gauss_mean(lambda h: activations.get("selu").fn(h) ** 2, 1.0) == pytest.approx(1.0, abs=1e-6)


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'softsign'.*relu.*gelu"):
        activations.get("softsign")


def test_aliases():
    assert activations.get("Linear").name == activations.get("none").name == "identity"
    assert activations.get("Leaky-ReLU").name == "leaky_relu"


def test_one_distinct_colour_each():
    colours = [a.colour for a in ACTIVATIONS.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_function_module_and_derivative_agree_with_autograd(name):
    act = ACTIVATIONS[name]
    x = torch.linspace(-6, 6, 2001, dtype=torch.float64).requires_grad_()
    y = act.module()(x)
    assert torch.allclose(y, act.fn(x))
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.allclose(act.derivative(x.detach()), grad, atol=1e-12)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_fused_vjp_is_grad_times_derivative(name):
    act = ACTIVATIONS[name]
    h = torch.randn(500, dtype=torch.float64) * 3
    g = torch.randn(500, dtype=torch.float64)
    assert torch.allclose(act.vjp(g, h, act.fn(h)), g * act.derivative(h), atol=1e-12)


def test_pytorch_subgradients_at_zero():
    zero = torch.zeros(1)
    assert ACTIVATIONS["relu"].derivative(zero).item() == 0.0
    assert ACTIVATIONS["leaky_relu"].derivative(zero).item() == pytest.approx(0.01)


def test_max_slopes_match_closed_forms():
    assert ACTIVATIONS["sigmoid"].max_slope == pytest.approx(0.25)
    assert ACTIVATIONS["relu"].max_slope == pytest.approx(1.0)
    # GELU' peaks at x = sqrt(2): Phi(sqrt 2) + sqrt(2) phi(sqrt 2)
    import math
    x = math.sqrt(2)
    peak = 0.5 * (1 + math.erf(x / math.sqrt(2))) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    assert ACTIVATIONS["gelu"].max_slope == pytest.approx(peak, rel=1e-6)
