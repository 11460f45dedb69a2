"""O(n * m) worst case: union-find without path compression or balancing, so trees can
degenerate into long chains."""


def component_counts(n, edges):
    parent = list(range(n))
    count = n
    out = []
    for u, v in edges:
        while parent[u] != u:
            u = parent[u]
        while parent[v] != v:
            v = parent[v]
        if u != v:
            parent[u] = v
            count -= 1
        out.append(count)
    return out
