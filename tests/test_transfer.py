"""Chapter 8's comparison: verdicts from each task's facts, and the digits runs laid out like the sine runs."""
import numpy as np

from helpers.analysis.measures import layer_ratio
from helpers.core.store import Results
from helpers.findings import transfer


def test_verdicts_follow_the_rule_on_both_tasks():
    keys = [k for k, _ in transfer.ROWS]
    true, false, opposite = ({k: ("x", v) for k in keys} for v in (transfer.TRUE, transfer.FALSE, transfer.OPPOSITE))
    assert set(transfer.comparison(true, true).column("verdict")) == {"holds"}
    assert set(transfer.comparison(true, false).column("verdict")) == {"changes"}
    assert set(transfer.comparison(true, opposite).column("verdict")) == {"reverses"}
    assert set(transfer.comparison(false, false).column("verdict")) == {"not a sine finding"}


def test_most_and_its_opposite():
    assert transfer._most([True, True, False]) == ("2/3 activations", transfer.TRUE)
    assert transfer._most([False, True, False], opposite=[True, False, True]) == ("1/3 activations",
                                                                                   transfer.OPPOSITE)
    assert transfer._most([False, True, False], opposite=[False, False, True])[1] == transfer.FALSE


def test_view_drops_init_and_depth_and_cuts_the_padded_layers():
    g = np.arange(2 * 2 * 3 * 20, dtype=float).reshape(2, 2, 3, 20)
    g[:, 0, :, 10:] = np.nan                                        # depth 10 padded to 20 layers
    res = Results({"grad_h": g}, {"grad_h": ("init", "depth", "activation", "layer")},
                  {"init": ["torch_default", "kaiming"], "depth": [10, 20], "activation": ["a", "b", "c"],
                   "layer": list(range(1, 21))})
    v = transfer.view(res, "kaiming", 10)
    assert v.dims["grad_h"] == ("activation", "layer") and v["grad_h"].shape == (3, 10)
    assert np.isfinite(v["grad_h"]).all() and v.coords["layer"] == list(range(1, 11))
    np.testing.assert_array_equal(layer_ratio(g[1, 0]), g[1, 0, :, 0] / g[1, 0, :, 9])   # last finite layer
