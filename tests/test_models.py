import pytest
import torch

from helpers.core.activations import ACTIVATIONS
from helpers.core.models import MLP, NetConfig, StackedMLP, flatten, init_params


def test_torch_default_init_is_exactly_nn_linear():
    torch.manual_seed(7)
    ref = [torch.nn.Linear(1, 64), torch.nn.Linear(64, 64), torch.nn.Linear(64, 1)]
    ours = init_params(7, NetConfig(depth=2, width=64, init="torch_default"))
    for lin, (w, b) in zip(ref, ours):
        assert torch.equal(lin.weight.T, w) and torch.equal(lin.bias, b)


@pytest.mark.parametrize("init,var", [("torch_default", lambda fi, fo: 1 / (3 * fi)),
                                      ("xavier", lambda fi, fo: 2 / (fi + fo)),
                                      ("kaiming", lambda fi, fo: 2 / fi)])
def test_init_variances(init, var):
    # 40 seeds x 64 x 64 weights of a hidden layer: the variance is known to about 1%
    w = torch.stack([init_params(s, NetConfig(2, 64, init))[1][0] for s in range(40)])
    assert w.var().item() == pytest.approx(var(64, 64), rel=0.03)
    assert w.mean().item() == pytest.approx(0.0, abs=0.05 * var(64, 64) ** 0.5)


def test_torch_default_is_not_he_init():
    w = init_params(0, NetConfig(2, 64))[1][0]
    assert 64 * w.var().item() == pytest.approx(1 / 3, rel=0.05)  # sigma_w^2 = 1/3, He has 2


def test_same_seed_same_weights_for_every_activation():
    nets = [MLP(a, seed=3) for a in ACTIVATIONS]
    for net in nets[1:]:
        for p, q in zip(nets[0].parameters(), net.parameters()):
            assert torch.equal(p, q)
    assert not torch.equal(MLP(seed=3).layers[0].weight, MLP(seed=4).layers[0].weight)


@pytest.mark.parametrize("kwargs,match", [(dict(depth=0), "depth must be a whole number >= 1"),
                                          (dict(width=-3), "width must be"),
                                          (dict(depth=True), "depth must be"),
                                          (dict(init="he"), "valid choices: torch_default, xavier, kaiming")])
def test_bad_shapes_and_inits(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NetConfig(**kwargs)


def test_bad_activation_and_a_shape_that_is_not_a_net_config():
    with pytest.raises(ValueError, match="unknown activation"):
        MLP("swishy")
    with pytest.raises(TypeError, match="net must be a NetConfig"):
        init_params(0, 10)


def test_stacked_forward_matches_each_mlp():
    names = ["relu", "relu", "gelu", "sigmoid", "identity", "relu"]  # runs of activations, repeated
    seeds = [0, 1, 0, 2, 3, 4]
    nets = [MLP(a, NetConfig(4, 16), seed=s, dtype=torch.float64) for a, s in zip(names, seeds)]
    stack = StackedMLP.from_seeds(names, seeds, NetConfig(4, 16), dtype=torch.float64)
    x = torch.linspace(-3, 3, 50, dtype=torch.float64).unsqueeze(1)
    out, pre = stack(x, keep=True)
    for m, net in enumerate(nets):
        assert torch.allclose(out[m], net(x), atol=1e-12)
        for h_stack, h_net in zip(pre, net.pre_activations(x)):
            assert torch.allclose(h_stack[m], h_net, atol=1e-12)
    assert torch.equal(StackedMLP.from_modules(nets).flat, stack.flat)


def test_flat_buffer_is_model_major():
    params = init_params(5, NetConfig(3, 8))
    stack = StackedMLP.from_seeds(["tanh", "tanh"], [9, 5], NetConfig(3, 8))
    assert torch.equal(stack.flat[1], flatten(params))
    with pytest.raises(ValueError, match="do not fit"):
        StackedMLP(["relu"], torch.zeros(1, 10), 3, 8)
