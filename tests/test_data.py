import math

import pytest
import torch

from helpers.core.data import landmarks, make_dataset, target_fn


def test_seed_dataset_is_the_specified_one(data):
    assert data.x.shape == (200, 1)
    assert torch.equal(data.x[:, 0], torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64))
    assert torch.allclose(data.y_clean, torch.sin(data.x))
    noise = data.y - data.y_clean
    assert abs(noise.std().item() - 0.1) < 0.015  # 200 draws of N(0, 0.1^2)
    assert torch.allclose(data.y_test, torch.sin(data.x_test))
    assert data.x_wide.min() == pytest.approx(-2 * math.pi) and data.x_wide.max() == pytest.approx(2 * math.pi)


def test_same_seed_same_data_other_seed_other_noise():
    assert torch.equal(make_dataset().y, make_dataset().y)
    assert not torch.equal(make_dataset().y, make_dataset(seed=1).y)


def test_landmarks_against_closed_forms(data):
    marks = landmarks(data)
    # continuous best line for sin on [-pi, pi]: residual 1/2 - 3/pi^2 (~0.196) plus noise ~ 0.01
    assert marks["linear"] == pytest.approx(0.5 - 3 / math.pi ** 2 + 0.01, abs=0.02)
    assert marks["constant"] == pytest.approx(0.5 + 0.01, abs=0.03)
    assert marks["noise_floor"] == pytest.approx(0.01, abs=0.003)


def test_other_targets_and_bad_ones():
    x = torch.tensor([0.0, math.pi / 2])
    assert torch.allclose(target_fn("sin", 3)(x), torch.sin(3 * x))
    saw = target_fn("sawtooth")(torch.tensor([-math.pi + 1e-6, 0.0, math.pi - 1e-6]))
    assert torch.allclose(saw, torch.tensor([-1.0, 0.0, 1.0]), atol=1e-5)
    with pytest.raises(ValueError, match="valid choices: sin, sawtooth"):
        make_dataset("square")
    with pytest.raises(ValueError, match="noise_std"):
        make_dataset(noise_std=-1)


def test_digits_split_standardisation_and_targets():
    from helpers.core.data import DIGITS_TRAIN, digits, from_description
    d = digits()
    assert (d.x.shape, d.y.shape, d.x_test.shape, d.y_test.shape) == ((DIGITS_TRAIN, 64), (DIGITS_TRAIN, 10),
                                                                      (1797 - DIGITS_TRAIN, 64), (517, 10))
    assert d.task == "classification" and (d.d_in, d.d_out) == (64, 10)
    assert torch.equal(d.y.sum(1), torch.ones(DIGITS_TRAIN, dtype=torch.float64))        # one-hot
    assert d.y.sum(0).min() >= 120 and d.y.sum(0).max() <= 135                            # stratified
    varying = d.x.std(0) > 0
    assert torch.allclose(d.x.mean(0), torch.zeros(64, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(d.x.std(0)[varying], torch.ones(int(varying.sum()), dtype=torch.float64))
    assert torch.equal(from_description(d.describe()).x_test, d.x_test)                 # rebuilt the same
    assert not torch.equal(digits(seed=1).x_test, d.x_test)
    with pytest.raises(ValueError, match="n_train must be between"):
        digits(5)


def test_digits_landmarks():
    from helpers.core.data import digits
    marks = landmarks(digits())
    assert marks["constant"] == pytest.approx(math.log(10), abs=0.01)   # near-uniform classes
    assert 0.09 < marks["chance"] < 0.11
    assert marks["linear_test_accuracy"] > 0.9 and marks["linear"] < 0.2
