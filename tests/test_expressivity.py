import math

import numpy as np
import pytest
import torch

from helpers.analysis import stats
from helpers.core.data import make_dataset, target_fn
from helpers.core.models import NetConfig, StackedMLP, tent_mlp
from helpers.engine import probes


def test_tent_network_is_exact_and_has_two_to_the_k_pieces():
    x = torch.linspace(-math.pi, math.pi, 4001, dtype=torch.float64).unsqueeze(1)
    for k in (1, 3, 6):
        net = tent_mlp(k)
        assert torch.allclose(net(x)[0][0], target_fn("tent", k)(x), atol=1e-9)
        assert probes.linear_pieces(net)[0] == 2 ** k


def test_exact_pieces_match_a_dense_scan_of_activation_patterns():
    net = StackedMLP.from_seeds(["relu", "leaky_relu", "relu"], [0, 1, 2], NetConfig(6, 16), dtype=torch.float64)
    x = torch.linspace(-math.pi, math.pi, 200_001, dtype=torch.float64).unsqueeze(1)
    with torch.no_grad():
        pattern = torch.cat([h > 0 for h in net(x, keep=True)[1]], -1)
    scanned = ((pattern[:, 1:] != pattern[:, :-1]).any(-1).sum(-1) + 1).tolist()
    assert probes.linear_pieces(net).tolist() == scanned


def test_pieces_refuse_smooth_activations_and_count_zero_bias_nets():
    with pytest.raises(ValueError, match="piecewise-linear activation"):
        probes.linear_pieces(StackedMLP.from_seeds(["gelu"], [0], NetConfig(2, 4)))
    he = StackedMLP.from_seeds(["relu"] * 3, [0, 1, 2], NetConfig(8, 32, "kaiming"), dtype=torch.float64)
    assert probes.linear_pieces(he).tolist() == [2, 2, 2]   # positive homogeneity: one kink, at 0
    one_layer = StackedMLP.from_seeds(["relu"] * 4, [0, 1, 2, 3], NetConfig(1, 20), dtype=torch.float64)
    assert (probes.linear_pieces(one_layer) <= 21).all()   # at most n + 1


def test_cosine_components_ignore_trends():
    x = np.linspace(-np.pi, np.pi, 201)
    y = np.stack([3 + 0.7 * x, np.cos(x) + 0.5 * np.cos(3 * x) + 0.1 * x])
    comps = stats.cosine_components(y, x, (1, 3, 5))
    assert np.allclose(comps, [[0, 0, 0], [1, 0.5, 0]], atol=1e-9)


def test_new_targets():
    d = make_dataset("mix")
    assert torch.allclose(d.y_test[:, 0], torch.cos(d.x_test[:, 0]) + torch.cos(3 * d.x_test[:, 0]) / 2
                          + torch.cos(5 * d.x_test[:, 0]) / 4)
    assert make_dataset("tent", 3).y_clean.abs().max() <= 1
