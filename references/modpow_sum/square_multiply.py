"""O(n log E) with Python-level loops: hand-written binary exponentiation for every term."""


def modpow_sum(bases, exps, m):
    total = 0
    for a, e in zip(bases, exps):
        result = 1 % m
        a %= m
        while e > 0:
            if e & 1:
                result = result * a % m
            a = a * a % m
            e >>= 1
        total = (total + result) % m
    return total
