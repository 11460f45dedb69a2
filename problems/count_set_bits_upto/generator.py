"""Stress inputs for total_set_bits: 60 ranges [lo, hi] of width up to the level size, lo drawn from
the run's secret seed anywhere below 10**18 (a fifth of them across a power of two 2^21 to 2^59,
where the counts of the low bits change; level 0's near 0).

Before, every query was a single n <= the level size, the ones in 0..n: S(0..10**5) fits a source
as a table (783,115 characters as a tuple), one look-up per query against the expert's loop over
the bits (README, "Answers tabled offline"). Below 10**18 a source fits one checkpoint every 10**12
values.
"""

import random

MAX_Q = 1000
LIMIT = 10**18
MAX_WIDTH = 10**5


def generate(size: int, rng: random.Random) -> list:
    queries = []
    for _ in range(60):
        width = rng.randint(size // 2, size)
        r = rng.random()
        if size <= 100:  # level 0 (public inputs): near 0
            lo = rng.randint(0, 2 * size)
        elif r < 0.2:  # across 2^b, b >= 21: far above what a source could table value by value
            lo = (1 << rng.randint(21, 59)) - rng.randrange(width + 1)
        else:
            lo = rng.randrange(LIMIT - width + 1)
        queries.append([lo, lo + width - 1 if width else lo])
    return [queries]


def check_input(queries: list) -> None:
    assert len(queries) <= MAX_Q
    for pair in queries:
        assert len(pair) == 2 and all(isinstance(v, int) for v in pair)
        lo, hi = pair
        assert 0 <= lo <= hi <= LIMIT and hi - lo <= MAX_WIDTH
