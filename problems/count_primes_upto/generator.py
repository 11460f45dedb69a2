"""Stress inputs for count_primes: a window [lo, hi) of the level's width (its top quarter) at a
point drawn from the run's secret seed up to min(10**9, 10**4 * size), sometimes with lo or hi - 1
a prime so off-by-one bounds are exercised.

Before, the window was [0, n] with n <= 10**6: however n was drawn, pi(n) for every n fits a
source as checkpoints (pi tabled every K values, a few KB) with a short segment sieve from the
nearest one, far less work than the expert's full sieve (README, "Answers tabled offline"). Up to
10**9 a source fits at most one checkpoint every 1000 or so values, and sieving even a short segment
there takes the pass over all the primes up to sqrt(hi) that the expert's window takes.
"""

import random

from effbench.generator_kit import prime_at_or_below

LIMIT = 10**9
MAX_WIDTH = 10**5


def generate(size: int, rng: random.Random) -> list:
    width = size - rng.randrange(size // 4 + 1)
    if size <= 100:  # level 0: near 0 half the time (0, 1 and 2 at the edges)
        top = 50 if rng.random() < 0.5 else 10**6
    else:
        top = min(LIMIT, size * 10**4) - width
    lo = rng.randrange(top + 1)
    kind = rng.randrange(3)
    if kind == 1:  # lo a prime: the inclusive lower bound
        lo = prime_at_or_below(lo)
    elif kind == 2:  # hi - 1 a prime: the exclusive upper bound just past it
        lo = max(0, prime_at_or_below(lo + width - 1) + 1 - width)
    return [lo, lo + width]


def check_input(lo, hi) -> None:
    assert isinstance(lo, int) and isinstance(hi, int)
    assert 0 <= lo <= hi <= LIMIT and hi - lo <= MAX_WIDTH
