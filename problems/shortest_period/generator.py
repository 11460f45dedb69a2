"""Stress inputs for shortest_period: strings whose period is long or is revealed only near the
end (a defect in the last characters), so checking candidate periods one by one is slow."""

import random


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # one letter, a different last letter: period n
        s = "a" * (n - 1) + "b"
    elif kind == 1:  # periodic with a short unit, one defect close to the end
        unit = "".join(rng.choice("ab") for _ in range(rng.randint(1, 6)))
        t = list((unit * (n // len(unit) + 1))[:n])
        j = n - 1 - rng.randrange(max(1, n // 50))
        t[j] = "c"
        s = "".join(t)
    elif kind == 2:  # Fibonacci word prefix: aperiodic-looking, long borders
        a, b = "a", "ab"
        while len(b) < n:
            a, b = b, b + a
        s = b[:n]
    else:  # random unit of random length repeated (period = unit length, usually)
        k = rng.randint(1, max(1, n // 3))
        unit = "".join(rng.choice("abc") for _ in range(k))
        s = (unit * (n // k + 1))[:n]
    return [s]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 1 <= len(s) <= 20_000
    assert all("a" <= ch <= "z" for ch in s)
