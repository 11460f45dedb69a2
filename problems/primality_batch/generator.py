"""Stress inputs for are_primes: many primes close to 10**12 and products of two primes
close to 10**6 (trial division must run all the way to the square root), pseudoprimes
that fool weak tests, and a sprinkle of small and random numbers."""

import random

from effbench.generator_kit import prime_at_or_below

LIMIT = 10**12

# composites that pass some Fermat or strong-probable-prime tests
TRICKY = [561, 1105, 1729, 2047, 2465, 2821, 3277, 4033, 4681, 6601, 8321, 8911,
          15841, 29341, 41041, 46657, 52633, 62745, 63973, 75361, 101101, 126217,
          1373653, 25326001, 3215031751, 4759123141, 48781 * 97561 * 3]


def _prime_near(x, rng):
    """The largest prime at or below a uniform draw from [x - x // 1000, x]."""
    return prime_at_or_below(x - rng.randrange(0, x // 1000 + 1))


def generate(size: int, rng: random.Random) -> list:
    nums = []
    for _ in range(size):
        r = rng.random()
        if r < 0.1:  # large prime
            nums.append(_prime_near(LIMIT, rng))
        elif r < 0.18:  # product of two primes just below 10**6
            p = _prime_near(10**6, rng)
            q = _prime_near(10**6, rng)
            nums.append(p * q)
        elif r < 0.3:
            nums.append(rng.choice(TRICKY))
        elif r < 0.4:
            nums.append(rng.randint(0, 100))
        else:
            nums.append(rng.randint(0, LIMIT))
    return [nums]


def check_input(nums) -> None:
    assert len(nums) <= 1_000
    assert all(isinstance(x, int) and 0 <= x <= LIMIT for x in nums)
