import numpy as np
import pytest

from helpers import report
from helpers.data import landmarks


def test_ratio_rules():
    assert report.ratio_verdict(1e-5) == "vanishes toward the input"
    assert report.ratio_verdict(0.1) == "decays toward the input"
    assert report.ratio_verdict(1.0) == "is roughly uniform across layers"
    assert report.ratio_verdict(50.0) == "grows toward the input"
    assert "diverged" in report.ratio_verdict(float("nan"))


def test_fit_verdicts_follow_the_landmarks(data):
    marks = landmarks(data)
    assert report.fit_verdict(marks["linear"] * 1.1, marks) == "at the best straight line"
    assert report.fit_verdict(marks["noise_floor"], marks) == "at the noise floor"
    assert report.fit_verdict(0.05, marks) == "between the straight line and the noise floor"
    assert report.fit_verdict(float("nan"), marks) == "diverged"


@pytest.fixture(scope="module")
def tiny(data):
    from helpers import experiments
    from helpers.train import TrainConfig
    return experiments.grid(["sigmoid", "relu"], [0, 1], data, TrainConfig(epochs=20, grad_epochs=(0, 10)),
                            depth=4, width=16, device="cpu")


def test_report_numbers_come_from_the_results(tiny):
    text = report.baseline_report(tiny)
    mse = tiny.sel("final_train_mse", activation="relu")
    assert f"{np.mean(mse):.4f} +- {np.std(mse):.4f}" in text
    ratio = report.gradient_ratios(tiny)["sigmoid"]["epoch 10"]
    assert f"{np.exp(np.log(ratio).mean()):.2e}" in text
    assert "| ReLU |" in text and "layer 1 / layer 4" in text


def test_gradient_ratio_is_layer_one_over_last(tiny):
    g = tiny.sel("grad_w", activation="relu", grad_epoch=0)
    assert np.allclose(report.gradient_ratios(tiny)["relu"]["epoch 0"], g[:, 0] / g[:, -1])
