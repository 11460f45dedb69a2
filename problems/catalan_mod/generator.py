"""Inputs for catalan_numbers: n in the top quarter of the level size and a prime modulus p, both
drawn from the run's secret seed.

The modulus was 1e9+7 for every test, and then the answer is a prefix of one fixed sequence: a
candidate carrying C(0..3000) mod 1e9+7 in its source (33 KB, compiled before the measured child
forks) answered every level by slicing, with no arithmetic, and beat the expert under every meter
(README, "Answers tabled offline"). With p drawn per test from the primes in (10**8, 2**30)
(about 5 * 10**7 of them) no table of answers fits the source limit.
"""

import random

from effbench.generator_kit import is_prime, random_prime

MAX_N = 10**5
P_LOW, P_HIGH = 10**8, 2**30


def generate(size: int, rng: random.Random) -> list:
    n = size - rng.randrange(size // 4 + 1) if size > 3 else size
    return [n, random_prime(rng, P_LOW, P_HIGH)]


def check_input(n: int, p: int) -> None:
    assert isinstance(n, int) and 0 <= n <= MAX_N
    assert isinstance(p, int) and P_LOW < p < P_HIGH and is_prime(p)
