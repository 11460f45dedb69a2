"""Stress inputs for binomial_queries: many queries with large n and k near n/2, and a prime modulus p
drawn from the run's secret seed.

The modulus was 1e9+7 for every test: a candidate carrying the factorials and inverse factorials
mod 1e9+7 up to the top level's n in its source (about 150 KB, compiled before the measured child
forks) skipped the expert's two linear passes and its modular inverse (README, "Answers tabled
offline"). With p drawn per test from the primes in (10**8, 2**30) no such table fits the source
limit.
"""

import random

from effbench.generator_kit import is_prime, random_prime

MAX_Q = 20_000
MAX_N = 10**5
P_LOW, P_HIGH = 10**8, 2**30


def generate(size: int, rng: random.Random) -> list:
    q = size
    top = min(MAX_N, size)
    queries = []
    for _ in range(q):
        n = rng.randint(top // 2, top) if rng.random() < 0.8 else rng.randint(0, top)
        r = rng.random()
        if r < 0.6:
            k = n // 2 + rng.randint(-10, 10)
        elif r < 0.9:
            k = rng.randint(0, n)
        else:
            k = n + rng.randint(1, 5)  # larger than n
        queries.append([n, max(0, min(MAX_N, k))])
    return [queries, random_prime(rng, P_LOW, P_HIGH)]


def check_input(queries: list, p: int) -> None:
    assert len(queries) <= MAX_Q
    for pair in queries:
        assert len(pair) == 2
        assert all(isinstance(v, int) and 0 <= v <= MAX_N for v in pair)
    assert isinstance(p, int) and P_LOW < p < P_HIGH and is_prime(p)
