"""Stress inputs for are_primes: many primes close to 10**12 and products of two primes
close to 10**6 (trial division must run all the way to the square root), pseudoprimes
that fool weak tests, and a sprinkle of small and random numbers."""

import random

LIMIT = 10**12

# composites that pass some Fermat or strong-probable-prime tests
TRICKY = [561, 1105, 1729, 2047, 2465, 2821, 3277, 4033, 4681, 6601, 8321, 8911,
          15841, 29341, 41041, 46657, 52633, 62745, 63973, 75361, 101101, 126217,
          1373653, 25326001, 3215031751, 4759123141, 48781 * 97561 * 3]


def _is_prime(n):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7, 11, 13, 17):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime_near(x, rng):
    x -= rng.randrange(0, x // 1000 + 1)
    while not _is_prime(x):
        x -= 1
    return x


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
