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
    assert f"{np.exp(np.log(ratio).mean()):.1e} [{ratio.min():.0e}..{ratio.max():.0e}]" in text
    assert "| ReLU |" in text and "layer 1 / layer 4" in text


def test_gradient_ratio_is_layer_one_over_last(tiny):
    g = tiny.sel("grad_w", activation="relu", grad_epoch=0)
    assert np.allclose(report.gradient_ratios(tiny)["relu"]["epoch 0"], g[:, 0] / g[:, -1])


def test_at_spread_rounds_one_digit_coarser_than_the_spread():
    assert report.at_spread([0.0084, 0.0083, 0.0085]) == "0.0084 +- 8e-05"
    assert report.at_spread([0.0641, 0.063, 0.066]) == "0.06 +- 0.001"
    assert report.at_spread([1.2e-7, 3e-7]) == "2e-07 +- 9e-08"
    assert report.at_spread([180, 230, 280]) == "200 +- 40" and report.rounded([180, 230, 280]) == 200
    assert report.at_spread([np.nan, np.nan]) == "diverged"
    assert report.rounded([0.0641, 0.063, 0.066]) == 0.06


def test_text_table_aligns_columns():
    t = report.text_table(["a", "bb"], [["xxx", "1"], ["y", "22"]])
    assert t.splitlines() == ["a    bb", "---  --", "xxx  1", "y    22"]
