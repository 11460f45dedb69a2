"""Stress inputs for count_primes: n in the top quarter of the level size (a point drawn from the
run's secret seed, not one of a dozen values known in advance), sometimes exactly a prime or a
prime square so off-by-one bounds are exercised.

Before, n was the level size, the largest prime not above it, a prime square just below it or the
size minus 1-9: a dozen values per level, the same in every run, so a candidate answered every
test from a table of them (78498 for 10**6 is widely known) and cost nothing."""

import random


def _is_prime(x):
    if x < 2:
        return False
    d = 2
    while d * d <= x:
        if x % d == 0:
            return False
        d += 1
    return True


def generate(size: int, rng: random.Random) -> list:
    top = size - rng.randrange(size // 4 + 1) if size > 3 else size
    kind = rng.randrange(3)
    if kind == 0:
        n = top
    elif kind == 1:  # the largest prime not above top
        n = top
        while n > 2 and not _is_prime(n):
            n -= 1
    else:  # a square of a prime near top, or just below top
        r = int(top**0.5)
        while r > 2 and not _is_prime(r):
            r -= 1
        n = r * r if rng.random() < 0.5 else top - rng.randrange(1, 10)
    return [max(0, n)]


def check_input(n) -> None:
    assert isinstance(n, int) and 0 <= n <= 10**6
