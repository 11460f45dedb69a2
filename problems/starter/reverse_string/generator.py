"""Inputs for reverse_string: random letters."""

import random

MAX_N = 1_000_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    return ["".join(rng.choices(LETTERS, k=size))]

def check_input(s: str) -> None:
    assert isinstance(s, str) and len(s) <= MAX_N
    assert all("a" <= ch <= "z" for ch in s)
