"""The statistics against sums done by hand (and published examples)."""

import math

import pytest

from insights import stats

Z = 1.959963984540054


def test_wilson_interval_of_ten_in_a_hundred_matches_the_hand_sum():
    p, n = 0.1, 100
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    interval = stats.wilson_interval(10, 100)
    assert interval.estimate == pytest.approx(0.1)
    assert interval.low == pytest.approx(centre - half)
    assert interval.high == pytest.approx(centre + half)
    # the textbook figures for 10/100: 5.52 % to 17.44 %
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0552, 0.1744)


def test_wilson_interval_of_zero_successes_starts_at_zero_and_is_not_empty():
    interval = stats.wilson_interval(0, 50)
    assert interval.low == 0.0
    assert interval.high == pytest.approx(Z * Z / 50 / (1 + Z * Z / 50))  # = z²/(n+z²) ≈ 0.0713
    assert stats.wilson_interval(0, 0) == stats.Interval(0.0, 0.0, 0.0)


def test_wilson_interval_refuses_more_successes_than_trials():
    with pytest.raises(ValueError):
        stats.wilson_interval(5, 4)


def test_thirty_percent_against_twenty_percent_of_two_hundred_is_significant():
    # pooled p = 100/400 = 0.25; se = sqrt(0.25 * 0.75 * (1/200 + 1/200)) = sqrt(0.001875)
    se = math.sqrt(0.25 * 0.75 * (2 / 200))
    z = (0.3 - 0.2) / se  # 2.3094
    result = stats.two_proportion_test(60, 200, 40, 200)
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert result.p_value == pytest.approx(0.0209, abs=1e-4)
    assert result.significant


def test_eleven_against_ten_percent_of_two_hundred_is_not_significant():
    result = stats.two_proportion_test(22, 200, 20, 200)
    assert result.difference == pytest.approx(0.01)
    assert result.p_value > 0.05
    assert not result.significant


def test_a_test_with_an_empty_group_is_never_significant():
    assert stats.two_proportion_test(5, 10, 0, 0).p_value == 1.0
    assert stats.two_proportion_test(0, 10, 0, 10).p_value == 1.0


def test_newcombe_interval_reproduces_his_published_example():
    # Newcombe (1998), method 10, example (a): 56/70 against 48/80 -> 0.0524 to 0.3339
    interval = stats.difference_interval(56, 70, 48, 80)
    assert interval.estimate == pytest.approx(0.2)
    assert round(interval.low, 4) == 0.0524
    assert round(interval.high, 4) == 0.3339


def test_hold_out_lift_per_thousand_is_the_difference_of_rates_times_a_thousand():
    # messaged: 45 review clicks in 900 orders (50 per 1,000); held out: 0 in 100
    lift = stats.per_thousand(stats.difference_interval(45, 900, 0, 100))
    a, b = stats.wilson_interval(45, 900), stats.wilson_interval(0, 100)
    assert lift.estimate == pytest.approx(50.0)
    assert lift.low == pytest.approx(1000 * (0.05 - math.sqrt((0.05 - a.low) ** 2 + (b.high - 0) ** 2)))
    assert lift.high == pytest.approx(1000 * (0.05 + math.sqrt((a.high - 0.05) ** 2 + 0)))
    assert lift.low < 50 < lift.high
