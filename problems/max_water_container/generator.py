"""Stress inputs for max_water_container: mountains (every wall is a record), valleys, plateaus."""

import random

LIMIT = 10**9
MAX_LEN = 4_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # mountain: strictly rising then falling, so the sweep visits every wall
        up = sorted(rng.sample(range(LIMIT), n))
        peak = rng.randrange(n)
        h = up[:peak] + sorted(up[peak:], reverse=True)
    elif kind == 1:  # noisy mountain with plateaus
        peak = rng.randrange(n)
        h = [max(0, min(LIMIT, LIMIT - abs(i - peak) * (LIMIT // (n + 1)) - rng.randint(0, 1000))) for i in range(n)]
        for _ in range(n // 20):
            i = rng.randrange(n)
            h[i] = h[i - 1]
    elif kind == 2:  # valley: tallest walls at both ends
        h = [abs(i - n // 2) * (LIMIT // (n + 1)) + rng.randint(0, 10) for i in range(n)]
    else:  # random heights, some zeros
        h = [rng.choice((0, rng.randint(0, LIMIT))) for _ in range(n)]
    return [h]


def check_input(heights: list) -> None:
    assert len(heights) <= MAX_LEN
    assert all(isinstance(x, int) and 0 <= x <= LIMIT for x in heights)
