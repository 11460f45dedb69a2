"""O(W log log W + sqrt(hi)): segmented sieve of Eratosthenes: the primes up to sqrt(hi) by a
bytearray sieve, then each crosses off its multiples in the window [lo, hi) by slice assignment."""

from itertools import compress
from math import isqrt


def count_primes(lo, hi):
    lo = max(lo, 2)
    if lo >= hi:
        return 0
    r = isqrt(hi - 1)
    base = bytearray([1]) * (r + 1)
    base[:2] = b"\0\0"
    for i in range(2, isqrt(r) + 1):
        if base[i]:
            base[i * i :: i] = bytes(len(range(i * i, r + 1, i)))
    width = hi - lo
    window = bytearray([1]) * width
    for p in compress(range(r + 1), base):
        start = max(p * p, -(-lo // p) * p) - lo
        if start < width:
            window[start::p] = bytes((width - 1 - start) // p + 1)
    return window.count(1)
