"""Chapter 9's machinery against references: the autograd variants (helpers.engine.blocks) against the batched
engine and torch.nn's LayerNorm/BatchNorm, the Jacobian spectra against autograd's Jacobian, the residual
and SELU theory against drawn networks, and the new inits' defining properties."""
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from helpers import theory
from helpers.core.config import CURVES, TrainConfig
from helpers.core.models import NetConfig, StackedMLP, init_params
from helpers.engine import blocks
from helpers.engine.runs import grid
from helpers.experiments import at_init, finite_width

SHORT = TrainConfig(epochs=30, log=replace(CURVES, states_every=30, test_every=30, grad_epochs=(0, 10)))


def test_plain_variant_trains_exactly_like_the_engine(data):
    acts = ["relu", "tanh", "selu", "gelu"]
    eng = grid(acts, [0, 1], data, SHORT, NetConfig(5, init="kaiming"))
    var = blocks.train("plain", acts, [0, 1], data, SHORT, NetConfig(5, init="kaiming"))
    for k in ("loss", "final_train_mse", "final_test_mse", "diverged_epoch"):
        np.testing.assert_allclose(var[k], eng[k], rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(var["grad_h"], eng["grad_h"], rtol=1e-11)
    np.testing.assert_array_equal(var["unit_states"], eng["unit_states"])


def test_norm_layers_equal_torch_nn(data):
    mlp = StackedMLP.from_seeds(["relu"] * 2, [0, 1], NetConfig(3, 16), dtype=torch.float64)
    x = data.x.double()
    for variant, ref in (("layernorm", lambda h: F.layer_norm(h, h.shape[-1:], eps=blocks.EPS)),
                         ("batchnorm", lambda h: F.batch_norm(h, None, None, training=True, eps=blocks.EPS))):
        net = blocks.BlockStack(variant, mlp)
        _, us = net.forward(x)
        a = x
        for l in range(3):
            w, b = (t.detach()[0] for t in (net.net.weights[l], net.net.biases[l]))
            u = ref(a @ w + b)
            torch.testing.assert_close(us[l][0], u, rtol=1e-12, atol=1e-12)
            a = F.relu(u)


def test_batchnorm_evaluates_with_the_training_inputs_statistics(data):
    net = blocks.BlockStack("batchnorm", StackedMLP.from_seeds(["tanh"], [0], NetConfig(3, 16), dtype=torch.float64))
    x = data.x.double()
    same = net.forward(x, ref=x)[0]
    torch.testing.assert_close(same, net.forward(x)[0])
    one = net.forward(x[:1], ref=x)[0]                     # a single input is not normalised by itself
    torch.testing.assert_close(one, same[:, :1])


def test_unknown_variant_names_the_choices(data):
    with pytest.raises(ValueError, match="unknown variant 'groupnorm'.*layernorm.*residual"):
        blocks.train("groupnorm", ["relu"], [0], data, SHORT)


def test_residual_gradient_ratio_at_init_matches_its_mean_field():
    """||dL/du_1|| / ||dL/du_L|| at init, median over 40 drawn residual networks, within 25% of
    theory.residual_profile (which says it can only grow toward the input), for activations whose outputs have
    mean ~0 or a flat slope; for ReLU-like ones the measured growth is larger (chapter 9 shows by how much)."""
    from helpers.core.data import make_dataset
    data = make_dataset()
    cfg = TrainConfig(epochs=1, log=replace(CURVES, test_every=1, grad_epochs=(0,)))
    for act in ("tanh", "sigmoid", "selu"):
        r = blocks.train("residual", [act], list(range(40)), data, cfg, NetConfig(12))
        g = r["grad_h"][0, :, 0]                            # [seed, layer]
        measured = np.median(g[:, 0] / g[:, -1])
        predicted = theory.residual_profile(act, 12)[0]
        assert predicted > 1 and measured == pytest.approx(predicted, rel=0.25), (act, measured, predicted)


def test_jacobian_spectra_equal_autograds_jacobian(data):
    x = data.x.double()[::50]
    res = at_init.jacobian_spectra(["tanh", "relu"], ("orthogonal", "torch_default"), [4], [0], x, width=8)
    for c, case in enumerate(("orthogonal", "torch_default")):
        for a, act in enumerate(("tanh", "relu")):
            net = at_init._case_net(case, [act], [0], 4, 8)
            for i in range(len(x)):
                h1 = net(x[i:i + 1], keep=True)[1][0][0, 0]

                def top(h, net=net):   # h_1 -> h_L through layers 2..L
                    for w, b in zip(net.weights[1:-1], net.biases[1:-1]):
                        h = net.acts[0].fn(h) @ w.detach()[0] + b.detach()[0, 0]
                    return h
                J = torch.autograd.functional.jacobian(top, h1)
                np.testing.assert_allclose(res["sv"][c, 0, a, 0, i], torch.linalg.svdvals(J).numpy(), rtol=1e-10,
                                           atol=1e-14)


def test_selu_with_lecun_init_keeps_unit_variance_through_depth(data):
    res = at_init.layer_moments(["selu"], ("lecun",), 50, list(range(5)), data.x)
    assert res["var_a"][0, 0, :, -1].mean() == pytest.approx(1.0, abs=0.1)
    assert abs(res["mean_a"][0, 0, :, -1].mean()) < 0.05
    assert res["theory_q"][0, 0, -1] == pytest.approx(1.0, abs=0.02)        # the fixed point q* = 1


def test_orthogonal_and_lecun_inits():
    for w, _ in init_params(0, NetConfig(3, 64, "orthogonal"), dtype=torch.float64):
        s = torch.linalg.svdvals(w) / math.sqrt(max(1, w.shape[1] / w.shape[0]))
        torch.testing.assert_close(s, torch.ones_like(s))
    ws = [w for w, _ in init_params(0, NetConfig(30, 64, "lecun"), dtype=torch.float64)[1:-1]]
    assert torch.cat([w.flatten() for w in ws]).var().item() * 64 == pytest.approx(1.0, rel=0.02)
    assert at_init.case_scales("orthogonal", ["relu"])[0] == pytest.approx(math.sqrt(2.0))   # orthogonal at He's 2


def test_explorer_statistics_of_a_variant_are_the_trained_runs_at_epoch_0(data):
    from helpers.experiments.explorer_stats import init_statistics
    cfg = TrainConfig(epochs=1, log=replace(CURVES, test_every=1, grad_epochs=(0,)))
    for variant in ("layernorm", "residual_layernorm"):
        s = init_statistics(6, 16, "tanh", "kaiming", variant=variant)
        g = blocks.train(variant, ["tanh"], [0, 1, 2], data, cfg, NetConfig(6, 16, "kaiming"))["grad_h"][0, :, 0]
        np.testing.assert_allclose(s["grad_h"], np.exp(np.log(g).mean(0)), rtol=1e-10)


def test_anisotropy_is_one_for_an_isometry_and_n_for_rank_one():
    from helpers.findings.stacks import anisotropy
    assert anisotropy(np.ones(64)) == pytest.approx(1.0)
    assert anisotropy(np.r_[1.0, np.zeros(63)]) == pytest.approx(64.0)
    assert anisotropy(np.r_[1e-30, 1e-300 * np.ones(63)]) == pytest.approx(64.0)   # scale-free


def test_batchnorm_at_init_for_any_input_dimension_matches_the_block_stack(data):
    """finite_width.batchnorm_ratio (inputs of any dimension) reproduces helpers.engine.blocks' batchnorm variant on
    the seed task's one-number inputs; with full-rank inputs ReLU's ratio is Yang et al.'s pi/(pi-1) per layer within
    2x."""
    x, y = data.x.double(), data.y.double()
    mine = finite_width.batchnorm_ratio(["relu", "tanh"], [0, 1], 8, 32, x, y)
    theirs = finite_width.block_ratio("batchnorm", ["relu", "tanh"], [0, 1], 8, 32, "torch_default", x, y)
    assert np.allclose(mine, theirs, rtol=1e-8)
    gen = torch.Generator().manual_seed(0)
    full = finite_width.batchnorm_ratio(["relu"], [0, 1, 2], 12, 128, torch.randn(256, 64, generator=gen,
                                   dtype=torch.float64), torch.randn(256, 1, generator=gen, dtype=torch.float64))
    assert 0.5 < np.exp(np.log(full).mean()) / (math.pi / (math.pi - 1)) ** 5.5 < 2
