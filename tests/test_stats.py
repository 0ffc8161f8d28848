import numpy as np

from helpers.analysis import stats


def test_mean_keeps_the_digit_of_the_sds_leading_digit():
    assert stats.at_spread([0.0841, 0.0780, 0.0920, 0.0800, 0.0750]) == "0.082 ± 0.007"
    assert stats.at_spread([213, 260, 170, 200, 222]) == "210 ± 30"
    assert stats.rounded([213, 260, 170, 200, 222]) == 210
    assert stats.at_spread([1.2e-7, 3e-7, 2e-7]) == "2.1e-7 ± 9e-8"
    assert stats.at_spread([0.06, 0.062, 0.059, 0.061, 0.0605]) == "0.060 ± 0.001"


def test_a_tiny_spread_is_an_upper_bound_not_a_number():
    text = stats.at_spread([0.1902, 0.1902 + 6e-9, 0.1902 - 7e-9])
    assert text == "0.1902 (sd < 1e-4)" and "e-9" not in text and "e-09" not in text
    assert stats.at_spread([0, 0, 0]) == "0 (every seed)"


def test_diverged_runs_are_counted_never_averaged():
    assert stats.at_spread([np.nan, 0.0084, 0.0085, 0.0083]) == "0.0084 ± 0.0001 (1/4 diverged)"
    assert stats.at_spread([np.nan, np.nan]) == "diverged (2/2)"
    assert np.isnan(stats.rounded([np.nan, np.nan]))
    assert "diverged" in stats.geo_spread([np.nan, 1e-3])


def test_geometric_spread_and_counts():
    assert stats.geo_spread([2.5e-4, 2.4e-4, 2.7e-4]) == "2.5e-4 ×/÷ 1.1"
    assert stats.geo_spread([1e-3, 3e-2, 5e-4]).startswith("2e-3 ×/÷ ")
    assert stats.geo_rounded([2.5e-4, 2.4e-4, 2.7e-4]) == 2.5e-4
    assert stats.count([True, False, True]) == "2/3"
    # below a floor only rounding noise is left: a phrase, never its CPU-dependent digits
    assert stats.geo_spread([9e-15, 3e-15], floor=1e-10) == "< 1e-10"
    assert stats.geo_rounded([9e-15, 3e-15], floor=1e-10) == "< 1e-10"
    assert stats.geo_spread([9e-15, 3e-9], floor=1e-10) == "5e-12 ×/÷ 8e3"   # not all below: a number
    assert repr(stats.at_spread([1.0, 1.1])) == "1.05 ± 0.07"      # glued without quotes


def test_geo_mean_ignores_diverged_runs():
    assert np.isclose(stats.geo_mean(np.array([1e-4, 1e-2, np.nan])), 1e-3)
    assert np.isnan(stats.geo_mean(np.array([np.nan, np.nan])))


def test_first_epoch_below():
    loss = np.array([[0.5, 0.4, 0.1, 0.05], [0.5, 0.5, 0.5, 0.5]])
    assert stats.first_epoch_below(loss, 0.2).tolist() == [3, -1]


def test_geo_mean_along_an_axis_leaves_diverged_runs_out():
    x = np.array([[1.0, 4.0, np.nan], [np.nan, 9.0, np.nan]])
    assert np.allclose(stats.geo_mean(x, 0)[:2], [1.0, 6.0]) and np.isnan(stats.geo_mean(x, 0)[2])
    assert np.allclose(stats.geo_mean(x, -1), [2.0, 9.0])
    assert stats.geo_mean(x) == stats.geo_mean([1.0, 4.0, 9.0])
