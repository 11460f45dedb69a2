"""O(N + q): one pass of D(i) = i * D(i-1) + (-1)^i up to the largest query, then table look-ups."""

MOD = 1_000_000_007


def derangements(queries):
    if not queries:
        return []
    top = max(queries)
    table = [1] * (top + 1)
    d = 1
    for i in range(1, top + 1):
        d = (d * i - 1) % MOD if i & 1 else (d * i + 1) % MOD
        table[i] = d
    return [table[n] for n in queries]
