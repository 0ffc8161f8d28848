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
    return experiments.grid(["sigmoid", "relu"], [0, 1], data, TrainConfig(epochs=20, grad_epochs=(0, 1)),
                            depth=4, width=16, device="cpu")


def test_report_numbers_come_from_the_results(tiny):
    text = report.baseline_report(tiny)
    mse = tiny.sel("final_train_mse", activation="relu")
    assert f"{np.mean(mse):.4f} +- {np.std(mse):.4f}" in text
    ratio = report.gradient_ratios(tiny)["sigmoid"]["epoch 1"]
    assert f"{np.exp(np.log(ratio).mean()):.1e} [{ratio.min():.0e}..{ratio.max():.0e}]" in text
    assert "| ReLU |" in text and "layer 1 / layer 4" in text


def test_gradient_ratio_is_layer_one_over_last(tiny):
    g = tiny.sel("grad_w", activation="relu", grad_epoch=0)
    assert np.allclose(report.gradient_ratios(tiny)["relu"]["epoch 0"], g[:, 0] / g[:, -1])


def test_text_table_aligns_columns():
    t = report.text_table(["a", "bb"], [["xxx", "1"], ["y", "22"]])
    assert t.splitlines() == ["a    bb", "---  --", "xxx  1", "y    22"]


def test_report_picks_its_epochs_from_dense_logs(tiny):
    assert tiny.coords["grad_epoch"] == [0, 1, 10, 20]  # grad_every=10 adds 10 and 20
    assert list(report.gradient_ratios(tiny)["relu"]) == ["first steps", "epoch 0", "epoch 1", "epoch 20"]


def test_md_table_escapes_pipes_inside_cells():
    import re
    lines = report.md_table(["activation", "max |phi'|"], [["relu", "1"], ["odd", "a|b"]])
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]
    assert {len(c) for c in cells} == {2}          # every row has exactly the two columns
    assert "max \\|phi'\\|" in lines[0] and "a\\|b" in lines[3]
