import re

import numpy as np
import pytest

from helpers.analysis import stats
from helpers.core.config import Schedule, TrainConfig
from helpers.core.data import landmarks
from helpers.core.models import NetConfig
from helpers.engine.runs import grid
from helpers.findings import report, seed
from helpers.findings.tables import Table, md_table, text_table


def test_ratio_rules():
    assert report.ratio_verdict(1e-5) == "vanishes toward the input"
    assert report.ratio_verdict(0.1) == "decays toward the input"
    assert report.ratio_verdict(1.0) == "is roughly uniform across layers"
    assert report.ratio_verdict(50.0) == "grows toward the input"
    assert "diverged" in report.ratio_verdict(float("nan"))


def test_fit_verdicts_follow_the_landmarks(data):
    marks = landmarks(data)
    assert seed.fit_verdict(marks["linear"] * 1.1, marks) == "at the best straight line"
    assert seed.fit_verdict(marks["noise_floor"], marks) == "at the noise floor"
    assert seed.fit_verdict(0.05, marks) == "between the straight line and the noise floor"
    assert seed.fit_verdict(float("nan"), marks) == "diverged"


@pytest.fixture(scope="module")
def tiny(data):
    return grid(["sigmoid", "relu"], [0, 1], data, TrainConfig(epochs=20,
                                                               log=Schedule(grad_epochs=(0, 1))), NetConfig(4, 16),
                device="cpu")


def test_report_numbers_come_from_the_results(tiny):
    text = report.baseline_report(tiny)
    mse = tiny.sel("final_train_mse", activation="relu")
    assert f"| ReLU | {stats.at_spread(mse)} |" in text
    g = tiny.sel("grad_h", activation="sigmoid", grad_epoch=0)
    assert stats.geo_spread(g[:, 0] / g[:, -1]) in text
    assert "y = sin(x) + N(0, 0.1^2)" in text and "float64" in text


def test_report_refuses_results_that_are_not_a_seed_run(tiny, tmp_path):
    from helpers.core.store import Results
    other = Results({"loss": np.zeros((2, 3))}, {"loss": ("activation", "epoch")}, {}, {"cache": {"name": "spectral"}})
    with pytest.raises(ValueError, match=r"x\.npz is a 'spectral' run .* not a seed run"):
        report.check_seed_run(other, "x.npz")
    report.check_seed_run(tiny, "ok.npz")                          # a real one passes


def test_text_table_aligns_columns():
    t = text_table(["a", "bb"], [["xxx", "1"], ["y", "22"]])
    assert t.splitlines() == ["a    bb", "---  --", "xxx  1", "y    22"]
    table = Table(["a", "bb"], [["xxx", "1"]], "title")
    assert repr(table) == "title\n" + text_table(["a", "bb"], [["xxx", "1"]]) and "| xxx | 1 |" in table.markdown()


def test_md_table_escapes_pipes_inside_cells():
    lines = md_table(["activation", "max |phi'|"], [["relu", "1"], ["odd", "a|b"]])
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]
    assert {len(c) for c in cells} == {2}          # every row has exactly the two columns
    assert r"max $\lvert\phi'\rvert$" in lines[0] and "a\\|b" in lines[3]   # the header typeset, the cell escaped


def test_headers_are_typeset_as_the_prose_writes_them():
    from helpers.findings.tables import typeset
    assert typeset("||dL/dh_1|| / ||dL/dh_20||") == (r"$\lVert\partial L/\partial h_{1}\rVert$ / "
                                                      r"$\lVert\partial L/\partial h_{20}\rVert$")
    assert typeset("chi_1 at sigma_w^2, q*, xi") == r"$\chi_1$ at $\sigma_w^2$, $q^*$, $\xi$"
    assert typeset("activation") == "activation" and "|" not in typeset("mean |dL/dW_l|")
