"""Stress inputs for count_primes: n at or just below the level size, sometimes exactly a
prime or a prime square so off-by-one bounds are exercised."""

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
    kind = rng.randrange(3)
    if kind == 0:
        n = size
    elif kind == 1:  # the largest prime not above size
        n = size
        while n > 2 and not _is_prime(n):
            n -= 1
    else:  # a square of a prime near the top, or just below size
        r = int(size ** 0.5)
        while r > 2 and not _is_prime(r):
            r -= 1
        n = r * r if rng.random() < 0.5 else size - rng.randrange(1, 10)
    return [max(0, n)]


def check_input(n) -> None:
    assert isinstance(n, int) and 0 <= n <= 10**6
