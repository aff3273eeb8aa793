"""Pure statistics for A/B and hold-out results (no Django, no I/O; tests check them against hand sums).

- `wilson_interval(x, n)`: the Wilson score interval of a proportion (good near 0 % and with small n,
  where the textbook Wald interval collapses or leaves [0, 1]).
- `two_proportion_test(x1, n1, x2, n2)`: the pooled two-proportion z-test, two-sided p value
  (`p = erfc(|z| / sqrt(2))`).
- `difference_interval(x1, n1, x2, n2)`: Newcombe's hybrid score interval (his method 10, 1998) for
  p1 - p2, built from the two Wilson intervals; unlike Wald's it behaves when one group has 0 events,
  which is the usual case for a hold-out group that never received a review link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal
ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class TestResult:
    difference: float  # p1 - p2
    z: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


def proportion(x: int, n: int) -> float:
    return x / n if n else 0.0


def wilson_interval(x: int, n: int, z: float = Z95) -> Interval:
    if n <= 0:
        return Interval(0.0, 0.0, 0.0)
    if not 0 <= x <= n:
        raise ValueError("successes must lie between 0 and the number of trials")
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if x == 0 else max(0.0, centre - half)  # exact at the ends (no rounding crumbs)
    high = 1.0 if x == n else min(1.0, centre + half)
    return Interval(p, low, high)


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> TestResult:
    """Is p1 different from p2? Pooled standard error; p = 1 when there is nothing to compare."""
    if n1 <= 0 or n2 <= 0:
        return TestResult(0.0, 0.0, 1.0)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return TestResult(p1 - p2, 0.0, 1.0)
    z = (p1 - p2) / se
    return TestResult(p1 - p2, z, math.erfc(abs(z) / math.sqrt(2)))


def difference_interval(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval:
    """Newcombe's hybrid score interval for p1 - p2."""
    a, b = wilson_interval(x1, n1, z), wilson_interval(x2, n2, z)
    d = a.estimate - b.estimate
    low = d - math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    high = d + math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(d, max(-1.0, low), min(1.0, high))


def per_thousand(interval: Interval) -> Interval:
    return Interval(interval.estimate * 1000, interval.low * 1000, interval.high * 1000)
