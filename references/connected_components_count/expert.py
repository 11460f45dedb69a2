"""O((n + m) α(n)): union-find with path halving and union by size."""


def component_counts(n, edges):
    parent = list(range(n))
    size = [1] * n
    count = n
    out = []
    push = out.append
    for u, v in edges:
        while parent[u] != u:
            parent[u] = u = parent[parent[u]]
        while parent[v] != v:
            parent[v] = v = parent[parent[v]]
        if u != v:
            if size[u] < size[v]:
                u, v = v, u
            parent[v] = u
            size[u] += size[v]
            count -= 1
        push(count)
    return out
