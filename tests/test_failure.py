import numpy as np

from helpers.analysis import failure
from helpers.core.store import Results

CONST, BEST = 0.5, 0.01


def _run(final, wiggle=0.0, drift=0.0, epochs=100):
    """A loss curve ending near `final`: optional oscillation and a downward drift over the last 50."""
    t = np.arange(epochs)
    return final * (1 + wiggle * np.sin(t)) * (1 + drift * np.clip((epochs - t) / 50, 0, 1))


def _mode(loss, div=-1, frozen=False):
    m = failure.classify(np.array([loss]), np.array([div]), np.array([frozen]), CONST, BEST)
    return failure.MODES[m[0]]


def test_each_rule():
    assert _mode(_run(0.012)) == "converged"
    assert _mode(_run(0.05)) == "stalled"
    assert _mode(_run(0.05, drift=0.5)) == "slow"                   # still falling: not settled
    assert _mode(_run(0.05, wiggle=0.5)) == "oscillating"
    assert _mode(_run(0.012, wiggle=0.5)) == "converged"            # a good fit may still be noisy
    assert _mode(_run(0.495)) == "plateau"
    assert _mode(_run(0.495), frozen=True) == "collapsed"
    assert _mode(_run(0.012), frozen=True) == "converged"           # a frozen layer that still fits is no collapse
    assert _mode(_run(30.0)) == "diverged"                           # exploded without overflowing
    nan = _run(0.012)
    nan[60:] = np.nan
    assert _mode(nan, div=61) == "diverged"


def test_final_loss_ignores_one_late_spike():
    loss = _run(0.012)
    loss[-1] = 5.0
    assert failure.final_loss(loss) == 0.012


def test_majority_prefers_the_worse_mode_on_ties():
    modes = np.array([[0, 4], [0, 0]])
    best, count = failure.majority(modes)
    assert best.tolist() == [4, 0] and count.tolist() == [1, 2]


def _grid(curves, saturated=0.2):
    lrs, seeds = [1e-3, 1e-2, 1e-1], 3
    loss = np.stack([np.stack([_run(f) for f in row]) for row in curves])[None]       # [1, lr, seed, epoch]
    states = np.zeros((1, len(lrs), seeds, 2, 4, 4))
    states[..., 2] = saturated                                                         # "saturated" column
    return Results({"loss": loss, "diverged_epoch": np.full((1, len(lrs), seeds), -1), "unit_states": states},
                   {"loss": ("activation", "lr", "seed", "epoch"), "diverged_epoch": ("activation", "lr", "seed"),
                    "unit_states": ("activation", "lr", "seed", "state_epoch", "layer", "unit_state")},
                   {"activation": ["relu"], "lr": lrs, "seed": list(range(seeds)),
                    "unit_state": ["active", "dead", "saturated", "off"]},
                   {"config": {"landmarks": {"constant": CONST}}})


def test_mode_table_converged_lrs_and_divergence_read_the_same_rules():
    res = _grid([[0.012] * 3, [30.0, 0.012, 0.012], [0.495] * 3])
    header, rows = failure.mode_table(res)
    assert header == ["lr", "0.001", "0.01", "0.1"]
    assert rows == [["relu", "ok 3/3", "ok 2/3", "plat 3/3"]]
    assert failure.converged_lrs(res)["relu"].tolist() == [1e-3, 1e-2]
    assert failure.diverged(res)[0].tolist() == [[False] * 3, [True, False, False], [False] * 3]
    vals = failure.finite(np.ones((1, 3, 3)), res)
    assert np.isnan(vals[0, 1, 0]) and np.isfinite(vals).sum() == 8


def test_a_frozen_layer_turns_a_plateau_into_a_collapse():
    res = _grid([[0.012] * 3, [0.012] * 3, [0.495] * 3], saturated=1.0)
    assert failure.mode_table(res)[1] == [["relu", "ok 3/3", "ok 3/3", "coll 3/3"]]
