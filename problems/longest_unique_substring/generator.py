"""Stress inputs for longest_unique_substring: large alphabets give long distinct windows."""

import random

MAX_LEN = 24_000
MAX_ALPHABET = 300
BASE = 0x4E00  # a block of printable CJK code points


def generate(size: int, rng: random.Random) -> list:
    n = size
    m = max(2, min(MAX_ALPHABET, size // rng.choice((8, 20, 40))))
    alphabet = [chr(BASE + i) for i in range(m)]
    kind = rng.choice((0, 1, 1, 2))
    if kind == 0:  # concatenated shuffles of the alphabet: windows up to ~m long everywhere
        out = []
        while len(out) < n:
            block = alphabet[:]
            rng.shuffle(block)
            out.extend(block)
        chars = out[:n]
    elif kind == 1:  # a sliding pattern: a cyclic walk over the alphabet with rare repeats
        chars = [alphabet[i % m] for i in range(n)]
        for _ in range(n // max(1, m)):
            chars[rng.randrange(n)] = rng.choice(alphabet)
    else:  # random draws from the alphabet, with one planted long distinct stretch
        chars = [rng.choice(alphabet) for _ in range(n)]
        start = rng.randrange(n)
        stretch = alphabet[:]
        rng.shuffle(stretch)
        chars[start:start + m] = stretch[: n - start]
        chars = chars[:n]
    return ["".join(chars)]


def check_input(s: str) -> None:
    assert isinstance(s, str) and len(s) <= MAX_LEN
    assert len(set(s)) <= MAX_ALPHABET
