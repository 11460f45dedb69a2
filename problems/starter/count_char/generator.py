"""Inputs for count_char: random letters, or a string made mostly of the character."""

import random

MAX_N = 1_000_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    ch = rng.choice(LETTERS)
    if rng.randrange(2):
        s = "".join(rng.choices(LETTERS, k=size))
    else:
        s = "".join(rng.choices((ch, rng.choice(LETTERS)), weights=(9, 1), k=size))
    return [s, ch]


def check_input(s: str, ch: str) -> None:
    assert isinstance(s, str) and len(s) <= MAX_N and all("a" <= c <= "z" for c in s)
    assert isinstance(ch, str) and len(ch) == 1 and "a" <= ch <= "z"
