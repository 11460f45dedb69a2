"""Stress inputs for edit_distance: full-length strings, small alphabets and near-copies."""

import random
import string

MAX_LEN = 2_000


def _word(n, alphabet, rng):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mutate(s, edits, alphabet, rng):
    chars = list(s)
    for _ in range(edits):
        op = rng.randrange(3)
        pos = rng.randrange(len(chars) + 1)
        if op == 0 or not chars:
            chars.insert(pos, rng.choice(alphabet))
        elif op == 1:
            del chars[min(pos, len(chars) - 1)]
        else:
            chars[min(pos, len(chars) - 1)] = rng.choice(alphabet)
    return "".join(chars[:MAX_LEN])


def generate(size: int, rng: random.Random) -> list:
    kind = rng.randrange(4)
    if kind == 0:  # two unrelated strings over a tiny alphabet
        alphabet = "ab"
        return [_word(size, alphabet, rng), _word(size, alphabet, rng)]
    if kind == 1:  # near copies: distance much smaller than the length
        alphabet = "acgt"
        a = _word(size, alphabet, rng)
        return [a, _mutate(a, max(1, size // 20), alphabet, rng)]
    if kind == 2:  # full alphabet, unrelated
        alphabet = string.ascii_lowercase
        return [_word(size, alphabet, rng), _word(size, alphabet, rng)]
    # different lengths
    alphabet = "abcde"
    short = rng.randint(size // 3, size)
    pair = [_word(size, alphabet, rng), _word(short, alphabet, rng)]
    rng.shuffle(pair)
    return pair


def check_input(a: str, b: str) -> None:
    assert isinstance(a, str) and isinstance(b, str)
    assert len(a) <= MAX_LEN and len(b) <= MAX_LEN
    assert all("a" <= c <= "z" for c in a + b)
