"""helpers.analysis.agreement: two printings of one measurement agree within the spread they print, and no
further (the tolerance must be able to fail)."""
import pytest

from helpers.analysis.agreement import agree, table_disagreements


@pytest.mark.parametrize("a,b", [
    ("4.1 ± 0.5", "4.2 ± 0.5"),                          # a mean moved by a fifth of its sd
    ("0.003 ± 0.002", "0.004 ± 0.002"),
    ("0.03 ± 0.01", "0.03 ± 0.02"),                      # a sample sd of five seeds is itself rough
    ("6e0 ×/÷ 4.7", "7e0 ×/÷ 4.4"),
    ("0.084 ± 0.009 (1/5 diverged)", "0.084 ± 0.009"),   # one seed crossed the divergence line
    ("ok 3/5", "ok 4/5"), ("coll 4/5", "stall 3/5"),      # at most two seeds changed their ending
    ("0.0316 (3/5 ok)", "0.01 (5/5 ok)"),                # no clear majority: the boundary may move
    ("230 ± 100 (5/5 seeds)", "250 ± 90 (4/5 seeds)"),
    ("never (0/5 seeds)", "400 (1/5 seeds)"),
])
def test_agree_within_the_printed_spread(a, b):
    assert agree(a, b) and agree(b, a)


@pytest.mark.parametrize("a,b", [
    ("0.1968 ± 0.0007", "0.1990 ± 0.0007"),              # three sds apart
    ("0.5 ± 0.01", "0.5 ± 0.2"),                         # sds twenty times apart
    ("2e-3 ×/÷ 1.3", "8e-3 ×/÷ 1.3"),
    ("stall 4/5", "coll 4/5"), ("ok 5/5", "ok 2/5"),     # three seeds would have to change
    ("0.0316 (4/5 ok)", "0.01 (5/5 ok)"),                # a clear majority moved
    ("1", "0"), ("relu", "gelu"),
])
def test_disagree_beyond_it(a, b):
    assert not agree(a, b) and not agree(b, a)


def test_tables_compare_cell_by_cell_in_markdown_and_text():
    md = "**T**\n\n| activation | mse |\n|---|---|\n| relu | {} |"
    assert table_disagreements(md.format("0.084 ± 0.009"), md.format("0.086 ± 0.009")) == []
    assert table_disagreements(md.format("0.084 ± 0.009"), md.format("0.2 ± 0.009")) == [
        "relu: '0.084 ± 0.009' != '0.2 ± 0.009'"]
    text = "shape  sin(1x)\n-----  ---------\n2x44   {}"
    assert table_disagreements(text.format("0.009 ± 0.005"), text.format("0.010 ± 0.005")) == []
    assert table_disagreements(text.format("1"), text.format("1\n4x25   2")) == ["3 lines != 4 lines"]


def test_seeds_set_apart_differently_compare_by_their_count():
    assert agree("0 (every seed)", "0 (every seed) (1/5 diverged)")
    assert agree("0.5 ± 0.6 (2/5 diverged)", "0.1902 (sd < 1e-4) (3/5 diverged)")
    assert not agree("0.5 ± 0.6 (1/5 diverged)", "0.1902 (sd < 1e-4) (4/5 diverged)")
