"""O(n): C(m+1) = C(m) * 2(2m+1) / (m+2), with all inverses 1..n+1 mod p from the linear-time recurrence."""


def catalan_numbers(n, p):
    inv = [0, 1] + [0] * n  # inv[i] for i <= n + 1 (p > n + 1, so every i is invertible)
    for i in range(2, n + 2):
        inv[i] = (p - p // i) * inv[p % i] % p
    out = [1] * (n + 1)
    c = 1
    for m in range(n):
        c = c * (4 * m + 2) % p * inv[m + 2] % p
        out[m + 1] = c
    return out
