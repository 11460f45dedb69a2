"""O(n log^3 V): small-prime filter, then deterministic Miller-Rabin with bases 2, 3, 5, 7, 11
(exact for every number below 2.15 * 10**12) using the built-in modular pow."""

_SMALL = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)
_BASES = (2, 3, 5, 7, 11)


def _is_prime(n):
    if n < 2:
        return False
    for p in _SMALL:
        if not n % p:
            return n == p
    if n < 2209:  # 47**2: no small factor means prime
        return True
    m = n - 1
    s = (m & -m).bit_length() - 1
    d = m >> s
    for a in _BASES:
        x = pow(a, d, n)
        if x == 1 or x == m:
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == m:
                break
        else:
            return False
    return True


def are_primes(nums):
    return [_is_prime(x) for x in nums]
