"""Stress inputs for modpow_sum: exponents near the 1000 limit and large bases, so exact
big-integer powers are huge and one-multiplication-per-step loops run thousands of times."""

import random

MAXV = 10**9
MAXE = 1000


def generate(size: int, rng: random.Random) -> list:
    kind = rng.randrange(3)
    if kind == 0:  # everything near the limits
        m = rng.randint(MAXV // 2, MAXV)
        bases = [rng.randint(MAXV // 2, MAXV) for _ in range(size)]
        exps = [rng.randint(MAXE // 2, MAXE) for _ in range(size)]
    elif kind == 1:  # exponents of the form 2**k - 1 (all bits set), prime modulus
        m = 999_999_937
        bases = [rng.randint(2, MAXV) for _ in range(size)]
        exps = [rng.choice([1000, 511, 767]) for _ in range(size)]
    else:  # mixed magnitudes with zeros and ones
        m = rng.choice([rng.randint(1, 1000), rng.randint(1, MAXV)])
        bases = [rng.choice([0, 1, rng.randint(0, MAXV)]) for _ in range(size)]
        exps = [rng.choice([0, 1, rng.randint(0, MAXE)]) for _ in range(size)]
    return [bases, exps, m]


def check_input(bases, exps, m) -> None:
    assert len(bases) == len(exps) <= 5_000
    assert 1 <= m <= MAXV
    assert all(isinstance(x, int) and 0 <= x <= MAXV for x in bases)
    assert all(isinstance(x, int) and 0 <= x <= MAXE for x in exps)
