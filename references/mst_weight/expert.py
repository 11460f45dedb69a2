"""O(m log m): Kruskal's algorithm, edges sorted by weight, union-find with path halving."""

from operator import itemgetter


def mst_weight(n, edges):
    parent = list(range(n))
    total = 0
    need = n - 1
    for u, v, w in sorted(edges, key=itemgetter(2)):
        while parent[u] != u:
            parent[u] = u = parent[parent[u]]
        while parent[v] != v:
            parent[v] = v = parent[parent[v]]
        if u != v:
            parent[u] = v
            total += w
            need -= 1
            if not need:
                break
    return total
