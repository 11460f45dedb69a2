"""Stress inputs for palindrome problems: long blocks of one letter and of short periods, where
every centre has a large radius (quadratic for expand-around-centre), plus planted palindromes
(effbench.generator_kit.palindrome_heavy_string, shared with the other palindrome problem)."""

import random

from effbench.generator_kit import palindrome_heavy_string


def generate(size: int, rng: random.Random) -> list:
    return [palindrome_heavy_string(size, rng)]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 0 <= len(s) <= 4_500
    assert all("a" <= ch <= "z" for ch in s)
