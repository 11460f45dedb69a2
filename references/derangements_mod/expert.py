"""O(N + q): one pass of D(i) = i * D(i-1) + (-1)^i mod p up to the largest query, then table look-ups."""


def derangements(queries, p):
    if not queries:
        return []
    top = max(queries)
    table = [1] * (top + 1)
    d = 1
    for i in range(1, top + 1):
        d = (d * i - 1) % p if i & 1 else (d * i + 1) % p
        table[i] = d
    return [table[n] for n in queries]
