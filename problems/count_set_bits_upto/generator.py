"""Stress inputs for total_set_bits: 60 queries up to size, including all-ones and powers of two."""

import random

MAX_Q = 1000
MAX_N = 10**18


def generate(size: int, rng: random.Random) -> list:
    queries = []
    for _ in range(60):
        r = rng.random()
        if r < 0.2:  # 2^k - 1: every bit set
            queries.append((1 << rng.randint(0, size.bit_length() - 1)) - 1)
        elif r < 0.3:
            queries.append(1 << rng.randint(0, size.bit_length() - 1))
        else:
            queries.append(rng.randint(size // 2, size))
    return [queries]


def check_input(queries: list) -> None:
    assert len(queries) <= MAX_Q
    assert all(isinstance(n, int) and 0 <= n <= MAX_N for n in queries)
