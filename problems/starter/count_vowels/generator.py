"""Inputs for count_vowels: random letters, vowel-heavy and vowel-free strings."""

import random

MAX_N = 1_000_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    alphabet = rng.choice((LETTERS, "aeiouxyz", "bcdfghjklm"))
    return ["".join(rng.choices(alphabet, k=size))]

def check_input(s: str) -> None:
    assert isinstance(s, str) and len(s) <= MAX_N
    assert all("a" <= ch <= "z" for ch in s)
