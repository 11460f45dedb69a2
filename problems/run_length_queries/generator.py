"""Stress inputs for rle_lookup: as many runs and queries as the size allows, with counts up to
10**9 (so the decoded string cannot be built) and queries spread over the whole range,
biased toward the far end where a front-to-back scan over the runs is longest."""

import random
import re


def generate(size: int, rng: random.Random) -> list:
    runs = rng.randint(max(1, size * 3 // 4), size)
    parts = []
    total = 0
    for _ in range(runs):
        r = rng.random()
        if r < 0.3:
            count = rng.randint(1, 9)
        elif r < 0.7:
            count = rng.randint(10, 10**5)
        else:
            count = rng.randint(10**5, 10**9)
        parts.append(rng.choice("abcdefghijklmnopqrstuvwxyz") + str(count))
        total += count
    q = rng.randint(max(0, size * 3 // 4), size)
    queries = [total - 1 - int((total - 1) * rng.random() ** 3) for _ in range(q)]
    if q:
        queries[0] = 0
        queries[-1] = total - 1
    return ["".join(parts), queries]


def check_input(encoded: str, queries: list) -> None:
    runs = re.findall(r"([a-z])([1-9][0-9]*)", encoded)
    assert 1 <= len(runs) <= 2_000
    assert "".join(a + b for a, b in runs) == encoded
    assert all(1 <= int(b) <= 10**9 for _, b in runs)
    total = sum(int(b) for _, b in runs)
    assert len(queries) <= 2_000
    assert all(isinstance(x, int) and 0 <= x < total for x in queries)
