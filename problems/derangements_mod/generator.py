"""Stress inputs for derangements: many queries, most of them close to the largest n, and a prime
modulus p drawn from the run's secret seed.

The modulus was 1e9+7 for every test, and then every answer is an entry of one fixed sequence: a
candidate carrying D(0..30000) mod 1e9+7 in its source (about 330 KB, compiled before the measured
child forks) answered every level by look-ups, with no arithmetic (README, "Answers tabled
offline"). With p drawn per test from the primes in (10**8, 2**30) no table of answers fits the
source limit.
"""

import random

from effbench.generator_kit import is_prime, random_prime

MAX_Q = 1000
MAX_N = 10**6
P_LOW, P_HIGH = 10**8, 2**30


def generate(size: int, rng: random.Random) -> list:
    q = rng.randint(50, 200)
    queries = [rng.randint(size // 2, size) if rng.random() < 0.8 else rng.randint(0, size) for _ in range(q)]
    queries[rng.randrange(q)] = size
    return [queries, random_prime(rng, P_LOW, P_HIGH)]


def check_input(queries: list, p: int) -> None:
    assert len(queries) <= MAX_Q
    assert all(isinstance(n, int) and 0 <= n <= MAX_N for n in queries)
    assert isinstance(p, int) and P_LOW < p < P_HIGH and is_prime(p)
