"""Inputs for is_anagram: true anagrams (every letter checked), or one letter changed."""

import random

MAX_N = 100_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(size: int, rng: random.Random) -> list:
    a = "".join(rng.choices(LETTERS, k=size))
    letters = list(a)
    rng.shuffle(letters)
    if letters and rng.randrange(3) == 0:
        i = rng.randrange(len(letters))
        letters[i] = "a" if letters[i] != "a" else "b"
    return [a, "".join(letters)]


def check_input(a: str, b: str) -> None:
    for s in (a, b):
        assert isinstance(s, str) and len(s) <= MAX_N and all("a" <= c <= "z" for c in s)
