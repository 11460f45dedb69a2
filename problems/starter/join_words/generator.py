"""Inputs for join_words: many short words."""

import random

MAX_N = 100_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    return [["".join(rng.choices(LETTERS, k=rng.randint(1, 10))) for _ in range(size)]]


def check_input(words: list) -> None:
    assert len(words) <= MAX_N
    assert all(isinstance(w, str) and 1 <= len(w) <= 10 and all("a" <= c <= "z" for c in w) for w in words)
