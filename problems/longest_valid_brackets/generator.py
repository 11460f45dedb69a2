"""Stress inputs for longest_valid: random walks with a slight surplus of ')' (long balanced
stretches, occasional breaks), balanced blocks, and a few short unmatched '(' runs, so a
forward scan from every start index travels far before the balance turns negative."""

import random


def generate(size: int, rng: random.Random) -> list:
    n = size
    root = max(1, int(n ** 0.5))
    p_open = rng.uniform(0.45, 0.49)
    out = []
    total = 0
    while total < n:
        r = rng.random()
        if r < 0.001:  # a short unmatched opening run
            piece = "(" * rng.randint(1, 10)
        elif r < 0.05:  # a balanced block
            k = rng.randint(1, root)
            piece = "(" * k + ")" * k
        else:  # biased random walk step
            piece = "(" if rng.random() < p_open else ")"
        out.append(piece)
        total += len(piece)
    return ["".join(out)[:n]]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 0 <= len(s) <= 30_000
    assert set(s) <= {"(", ")"}
