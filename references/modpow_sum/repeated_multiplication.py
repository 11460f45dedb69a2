"""O(n * E): multiply e times by the base, reducing mod m after every step."""


def modpow_sum(bases, exps, m):
    total = 0
    for a, e in zip(bases, exps):
        a %= m
        result = 1 % m
        for _ in range(e):
            result = result * a % m
        total = (total + result) % m
    return total
