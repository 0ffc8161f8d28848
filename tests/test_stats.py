import numpy as np

from helpers import stats


def test_at_spread_rounds_one_digit_coarser_than_the_spread():
    assert stats.at_spread([0.0084, 0.0083, 0.0085]) == "0.0084 +- 8e-05"
    assert stats.at_spread([0.0641, 0.063, 0.066]) == "0.06 +- 0.001"
    assert stats.at_spread([1.2e-7, 3e-7]) == "2e-07 +- 9e-08"
    assert stats.at_spread([180, 230, 280]) == "200 +- 40" and stats.rounded([180, 230, 280]) == 200
    assert stats.at_spread([206, 1428, 276, 7434, 7524]) == "3000 +- 3000"  # keeps the leading digit
    assert stats.at_spread([np.nan, np.nan]) == "diverged"
    assert stats.rounded([0.0641, 0.063, 0.066]) == 0.06


def test_geo_mean_ignores_diverged_runs():
    assert np.isclose(stats.geo_mean(np.array([1e-4, 1e-2, np.nan])), 1e-3)
    assert np.isnan(stats.geo_mean(np.array([np.nan, np.nan])))


def test_first_epoch_below():
    loss = np.array([[0.5, 0.4, 0.1, 0.05], [0.5, 0.5, 0.5, 0.5]])
    assert stats.first_epoch_below(loss, 0.2).tolist() == [3, -1]
