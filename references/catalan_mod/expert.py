"""O(n): C(m+1) = C(m) * 2(2m+1) / (m+2), with all inverses 1..n+1 from the linear-time recurrence."""

MOD = 1_000_000_007


def catalan_numbers(n):
    inv = [0, 1] + [0] * n  # inv[i] for i <= n + 1
    for i in range(2, n + 2):
        inv[i] = (MOD - MOD // i) * inv[MOD % i] % MOD
    out = [1] * (n + 1)
    c = 1
    for m in range(n):
        c = c * (4 * m + 2) % MOD * inv[m + 2] % MOD
        out[m + 1] = c
    return out
