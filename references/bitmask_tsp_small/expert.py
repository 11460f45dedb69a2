"""O(2^n * n^2): Held-Karp subset DP; the inner minimum runs in C over a whole row."""

from operator import add

INF = 10**9  # above any tour cost; INF + cost still fits in one 30-bit digit


def shortest_tour(dist):
    n = len(dist)
    if n == 1:
        return 0
    m = n - 1  # cities 1..n-1 become bits 0..m-1
    cols = [[dist[i + 1][j + 1] for i in range(m)] for j in range(m)]
    start = dist[0][1:]
    full = (1 << m) - 1
    # best[mask][j]: cheapest path 0 -> (all of mask) ending at city j+1
    best = [None] * (full + 1)
    for mask in range(1, full + 1):
        row = [INF] * m
        rest = mask
        while rest:
            low = rest & -rest
            j = low.bit_length() - 1
            rest ^= low
            prev = mask ^ low
            if prev:
                row[j] = min(map(add, best[prev], cols[j]))
            else:
                row[j] = start[j]
        best[mask] = row
    return min(c + dist[j + 1][0] for j, c in enumerate(best[full]))
