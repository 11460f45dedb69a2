"""O(n!): try every order of the cities 1..n-1."""

from itertools import permutations


def shortest_tour(dist):
    n = len(dist)
    if n == 1:
        return 0
    best = None
    for order in permutations(range(1, n)):
        cost = dist[0][order[0]] + dist[order[-1]][0]
        for a, b in zip(order, order[1:]):
            cost += dist[a][b]
        if best is None or cost < best:
            best = cost
    return best
