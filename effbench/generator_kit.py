"""Helpers that problem generators share (``problems/*/generator.py``).

A generator runs in a process of its own with the effbench package on its path (see
:func:`effbench.problems._run_generator`), and in the harness's own process for ``check_input``,
so it may import this module: ``from effbench.generator_kit import is_prime``. A problem's version
covers the effbench modules its generator imports (:func:`effbench.problems.load_problem`), so an
edit here changes the version of every problem that uses it.

Standard library only, and deterministic: the same arguments and the same ``rng`` state give the
same result on every machine, so a generator's output for a seed does not depend on where it runs.
The references (``references/*``) must stay self-contained and never import this.
"""

from __future__ import annotations

import random

#: Bases of the Miller-Rabin test: the first twelve primes.
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
#: The smallest strong pseudoprime to all of ``_MR_BASES`` (Jiang and Deng, 2014; it is
#: 399165290221 * 798330580441): :func:`is_prime` is exact below it, about 3.2e23, far above any
#: number a generator draws.
IS_PRIME_LIMIT = 318_665_857_834_031_151_167_461


def is_prime(n: int) -> bool:
    """Whether the integer ``n`` is prime (deterministic Miller-Rabin).

    Exact for every ``n < IS_PRIME_LIMIT`` (about 3.2e23); negative numbers, 0 and 1 are not prime.

    Raises:
        ValueError: ``n >= IS_PRIME_LIMIT``, where the answer would only be probable.
    """
    if n < 2:
        return False
    if n >= IS_PRIME_LIMIT:
        raise ValueError(f"is_prime is exact only below {IS_PRIME_LIMIT}, got {n}")
    for q in _MR_BASES:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _MR_BASES:
        y = pow(a, d, n)
        if y in (1, n - 1):
            continue
        for _ in range(s - 1):
            y = y * y % n
            if y == n - 1:
                break
        else:
            return False
    return True


def prime_at_or_below(x: int) -> int:
    """The largest prime ``<= x``, or ``x`` itself when ``x <= 2`` (so 0 and 1 come back unchanged)."""
    while x > 2 and not is_prime(x):
        x -= 1
    return x


def random_prime(rng: random.Random, low: int, high: int) -> int:
    """A prime ``p`` with ``low < p < high``: the first prime at or above ``rng.randrange(low + 1, high - 1000)``.

    Draws exactly one number from ``rng``. The 1000 of headroom below ``high`` is far more than any
    gap between primes below 2**32 (at most 336), so the search never passes ``high``.

    Raises:
        ValueError: ``high - 1000 <= low + 1`` (``randrange`` has nothing to draw from).
    """
    p = rng.randrange(low + 1, high - 1000)
    while not is_prime(p):
        p += 1
    return p


def _letters(rng: random.Random, k: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(k))


def palindrome_heavy_string(n: int, rng: random.Random) -> str:
    """A string of ``n`` letters from ``abcd`` where palindromes are long and everywhere.

    Pieces until there are at least ``n`` letters, each, with equal chances: a block of one letter
    (up to n/3), a short period (2-3 letters) repeated (up to n/8 times), a planted palindrome (a
    half of up to n/6 letters, its mirror, maybe a middle letter), or noise (up to n/10 letters);
    then a window of ``n`` at a random start. Every centre then has a large radius, the slow path of
    expand-around-centre (count_palindromic_substrings, longest_palindromic_substring_length).
    """
    parts = []
    total = 0
    while total < n:
        kind = rng.randrange(4)
        if kind == 0:  # a block of one letter
            piece = rng.choice("ab") * rng.randint(1, max(1, n // 3))
        elif kind == 1:  # a block with a short period
            unit = _letters(rng, rng.randint(2, 3), "abc")
            piece = unit * rng.randint(1, max(1, n // 8))
        elif kind == 2:  # a planted palindrome
            half = _letters(rng, rng.randint(1, max(1, n // 6)), "abc")
            piece = half + _letters(rng, rng.randint(0, 1), "abc") + half[::-1]
        else:  # noise
            piece = _letters(rng, rng.randint(1, max(1, n // 10)), "abcd")
        parts.append(piece)
        total += len(piece)
    s = "".join(parts)
    start = rng.randint(0, len(s) - n)
    return s[start : start + n]
