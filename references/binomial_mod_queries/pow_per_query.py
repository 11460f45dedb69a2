"""O(N + q log p): factorial table mod p, but a modular inverse by pow() for every query."""


def binomial_queries(queries, p):
    if not queries:
        return []
    top = max(n for n, _ in queries)
    fact = [1] * (top + 1)
    for i in range(1, top + 1):
        fact[i] = fact[i - 1] * i % p
    out = []
    for n, k in queries:
        if k > n:
            out.append(0)
        else:
            out.append(fact[n] * pow(fact[k] * fact[n - k] % p, p - 2, p) % p)
    return out
