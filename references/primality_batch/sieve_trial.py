"""O(n * pi(sqrt V)): sieve the primes up to 10**6 once, then trial-divide each number by
them up to its square root."""

from math import isqrt


def are_primes(nums):
    limit = 10**6
    mark = bytearray([1]) * (limit + 1)
    mark[0] = mark[1] = 0
    for p in range(2, isqrt(limit) + 1):
        if mark[p]:
            mark[p * p::p] = bytes(len(range(p * p, limit + 1, p)))
    primes = [p for p in range(limit + 1) if mark[p]]
    out = []
    for n in nums:
        if n <= limit:
            out.append(bool(mark[n]))
            continue
        root = isqrt(n)
        ok = True
        for p in primes:
            if p > root:
                break
            if n % p == 0:
                ok = False
                break
        out.append(ok)
    return out
