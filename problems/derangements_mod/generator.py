"""Stress inputs for derangements: many queries, most of them close to the largest n, and a prime
modulus p drawn from the run's secret seed.

The modulus was 1e9+7 for every test, and then every answer is an entry of one fixed sequence: a
candidate carrying D(0..30000) mod 1e9+7 in its source (about 330 KB, compiled before the measured
child forks) answered every level by look-ups, with no arithmetic (README, "Answers tabled
offline"). With p drawn per test from the primes in (10**8, 2**30) no table of answers fits the
source limit.
"""

import random

MAX_Q = 1000
MAX_N = 10**6
P_LOW, P_HIGH = 10**8, 2**30


def _is_prime(x: int) -> bool:
    """Deterministic Miller-Rabin for x < 3_215_031_751 (bases 2, 3, 5, 7)."""
    if x < 2:
        return False
    for q in (2, 3, 5, 7):
        if x % q == 0:
            return x == q
    d, s = x - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7):
        y = pow(a, d, x)
        if y in (1, x - 1):
            continue
        for _ in range(s - 1):
            y = y * y % x
            if y == x - 1:
                break
        else:
            return False
    return True


def _random_prime(rng: random.Random) -> int:
    """A prime p with P_LOW < p < P_HIGH: the first prime at or above a uniform draw."""
    p = rng.randrange(P_LOW + 1, P_HIGH - 1000)
    while not _is_prime(p):
        p += 1
    return p


def generate(size: int, rng: random.Random) -> list:
    q = rng.randint(50, 200)
    queries = [rng.randint(size // 2, size) if rng.random() < 0.8 else rng.randint(0, size) for _ in range(q)]
    queries[rng.randrange(q)] = size
    return [queries, _random_prime(rng)]


def check_input(queries: list, p: int) -> None:
    assert len(queries) <= MAX_Q
    assert all(isinstance(n, int) and 0 <= n <= MAX_N for n in queries)
    assert isinstance(p, int) and P_LOW < p < P_HIGH and _is_prime(p)
