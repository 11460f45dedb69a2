"""Inputs for is_palindrome: palindromes (the full comparison) and ones broken near the middle."""

import random

MAX_N = 1_000_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    half = "".join(rng.choices(LETTERS, k=size // 2))
    middle = rng.choice(LETTERS) if size % 2 else ""
    s = half + middle + half[::-1]
    if size >= 2 and rng.randrange(3) == 0:  # break it just left of the middle
        i = size // 2 - 1
        s = s[:i] + ("a" if s[i] != "a" else "b") + s[i + 1 :]
    return [s]

def check_input(s: str) -> None:
    assert isinstance(s, str) and len(s) <= MAX_N
    assert all("a" <= ch <= "z" for ch in s)
