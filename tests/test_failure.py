import numpy as np

from helpers import failure

CONST, BEST = 0.5, 0.01


def _run(final, wiggle=0.0, epochs=100):
    loss = np.full(epochs, final) * (1 + wiggle * np.sin(np.arange(epochs)))
    return loss


def _mode(loss, div=-1, off=0.2):
    m = failure.classify(np.array([loss]), np.array([div]), np.array([off]), CONST, BEST)
    return failure.MODES[m[0]]


def test_each_rule():
    assert _mode(_run(0.012)) == "converged"
    assert _mode(_run(0.05)) == "stalled"
    assert _mode(_run(0.05, wiggle=0.5)) == "oscillating"
    assert _mode(_run(0.012, wiggle=0.5)) == "converged"          # a good fit may still be noisy
    assert _mode(_run(0.495)) == "plateau"
    assert _mode(_run(0.495), off=1.0) == "dead layer"
    assert _mode(_run(30.0)) == "diverged"                         # exploded without overflowing
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


def test_mode_table_and_converged_lrs_read_the_same_majority():
    from helpers.store import Results
    lrs, seeds = [1e-3, 1e-2, 1e-1], 3
    loss = np.empty((1, len(lrs), seeds, 100))
    loss[0, 0], loss[0, 1], loss[0, 2] = _run(0.012), _run(0.012), _run(0.495)   # ok, ok, plateau
    loss[0, 1, 0] = _run(30.0)                                                   # one seed explodes
    res = Results({"loss": loss, "diverged_epoch": np.full((1, len(lrs), seeds), -1),
                   "layer_off_max": np.full((1, len(lrs), seeds, 1), 0.2)},
                  {"loss": ("activation", "lr", "seed", "epoch"), "diverged_epoch": ("activation", "lr", "seed"),
                   "layer_off_max": ("activation", "lr", "seed", "state_epoch")},
                  {"activation": ["relu"], "lr": lrs, "seed": list(range(seeds))},
                  {"config": {"landmarks": {"constant": CONST}}})
    header, rows = failure.mode_table(res)
    assert header == ["lr", "0.001", "0.01", "0.1"]
    assert rows == [["relu", "ok 3/3", "ok 2/3", "plat 3/3"]]
    assert failure.converged_lrs(res)["relu"].tolist() == [1e-3, 1e-2]
