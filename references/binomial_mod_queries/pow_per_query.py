"""O(N + q log MOD): factorial table, but a modular inverse by pow() for every query."""

MOD = 1_000_000_007


def binomial_queries(queries):
    if not queries:
        return []
    top = max(n for n, _ in queries)
    fact = [1] * (top + 1)
    for i in range(1, top + 1):
        fact[i] = fact[i - 1] * i % MOD
    out = []
    for n, k in queries:
        if k > n:
            out.append(0)
        else:
            out.append(fact[n] * pow(fact[k] * fact[n - k] % MOD, MOD - 2, MOD) % MOD)
    return out
