"""Inputs for count_words: short words with single or repeated spaces, spaces at both ends."""

import random

MAX_N = 1_000_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    parts = []
    total = 0
    while total < size:
        piece = "".join(rng.choices(LETTERS, k=rng.randint(1, 8))) + " " * rng.choice((1, 1, 1, 2, 3))
        parts.append(piece)
        total += len(piece)
    return ["".join(parts)[:size]]


def check_input(text: str) -> None:
    assert isinstance(text, str) and len(text) <= MAX_N
    assert all(ch == " " or "a" <= ch <= "z" for ch in text)
