"""O(N + q): factorials and inverse factorials mod p up to the largest n, then O(1) per query."""


def binomial_queries(queries, p):
    if not queries:
        return []
    top = max(n for n, _ in queries)
    fact = [1] * (top + 1)
    f = 1
    for i in range(1, top + 1):
        f = f * i % p
        fact[i] = f
    inv = [1] * (top + 1)
    g = pow(f, p - 2, p)
    for i in range(top, 0, -1):
        inv[i] = g
        g = g * i % p
    return [fact[n] * inv[k] % p * inv[n - k] % p if k <= n else 0 for n, k in queries]
