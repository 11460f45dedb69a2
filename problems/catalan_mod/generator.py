"""Inputs for catalan_numbers: n in the top quarter of the level size and a prime modulus p, both
drawn from the run's secret seed.

The modulus was 1e9+7 for every test, and then the answer is a prefix of one fixed sequence: a
candidate carrying C(0..3000) mod 1e9+7 in its source (33 KB, compiled before the measured child
forks) answered every level by slicing, with no arithmetic, and beat the expert under every meter
(README, "Answers tabled offline"). With p drawn per test from the primes in (10**8, 2**30)
(about 5 * 10**7 of them) no table of answers fits the source limit.
"""

import random

MAX_N = 10**5
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
    n = size - rng.randrange(size // 4 + 1) if size > 3 else size
    return [n, _random_prime(rng)]


def check_input(n: int, p: int) -> None:
    assert isinstance(n, int) and 0 <= n <= MAX_N
    assert isinstance(p, int) and P_LOW < p < P_HIGH and _is_prime(p)
