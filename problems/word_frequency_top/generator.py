"""Stress inputs for top_words: long texts of words drawn from a skewed vocabulary, in mixed
case, separated by spaces, punctuation, digits and newlines; many ties in the counts."""

import random

SEPARATORS = [" "] * 12 + [", ", ". ", "\n", "'", "-", "42", " (", ") ", "; ", "!", "_", "7"]


def generate(size: int, rng: random.Random) -> list:
    vocab_size = rng.randint(max(1, size // 200), max(2, size // 20))
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                     for _ in range(rng.randint(1, 9))) for _ in range(vocab_size)]
    weights = [1.0 / (i + 1) ** rng.uniform(0.5, 1.1) for i in range(vocab_size)]
    out = []
    length = 0
    words = rng.choices(vocab, weights, k=size)
    for w in words:
        r = rng.random()
        if r < 0.1:
            w = w.upper()
        elif r < 0.2:
            w = w.capitalize()
        sep = rng.choice(SEPARATORS)
        if length + len(w) + len(sep) > size:
            break
        out.append(w)
        out.append(sep)
        length += len(w) + len(sep)
    m = rng.randint(1, min(1000, max(1, size // 100)))
    return ["".join(out), m]


def check_input(text: str, m: int) -> None:
    assert isinstance(text, str) and 0 <= len(text) <= 100_000
    assert all(32 <= ord(ch) < 127 or ch == "\n" for ch in text)
    assert isinstance(m, int) and 1 <= m <= 1_000
