"""O(n * M(E log a)): compute every power exactly as a big integer, then reduce mod m."""


def modpow_sum(bases, exps, m):
    return sum(a ** e for a, e in zip(bases, exps)) % m
