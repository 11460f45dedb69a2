"""O(W log log W + sqrt(hi)) with Python-level inner loops: the same segmented sieve over lists of
booleans, crossing off one multiple at a time."""


def count_primes(lo, hi):
    lo = max(lo, 2)
    if lo >= hi:
        return 0
    r = 1
    while (r + 1) * (r + 1) <= hi - 1:
        r += 1
    base = [True] * (r + 1)
    base[0] = False
    if r >= 1:
        base[1] = False
    p = 2
    while p * p <= r:
        if base[p]:
            for m in range(p * p, r + 1, p):
                base[m] = False
        p += 1
    window = [True] * (hi - lo)
    for p in range(2, r + 1):
        if base[p]:
            start = max(p * p, (lo + p - 1) // p * p)
            for m in range(start, hi, p):
                window[m - lo] = False
    return sum(window)
