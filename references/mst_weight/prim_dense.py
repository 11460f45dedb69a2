"""O(n^2 + m): Prim's algorithm with an array of best connection costs, scanned for the
minimum at every step and restarted in each component."""


def mst_weight(n, edges):
    inf = float("inf")
    adj = [[] for _ in range(n)]
    for u, v, w in edges:
        if u != v:
            adj[u].append((v, w))
            adj[v].append((u, w))
    in_tree = [False] * n
    cost = [inf] * n
    total = 0
    for _ in range(n):
        u = -1
        best = inf
        for v in range(n):
            if not in_tree[v] and cost[v] < best:
                best = cost[v]
                u = v
        if u == -1:  # start a new component at the first unused vertex
            for v in range(n):
                if not in_tree[v]:
                    u = v
                    break
            best = 0
        in_tree[u] = True
        total += best
        for v, w in adj[u]:
            if not in_tree[v] and w < cost[v]:
                cost[v] = w
    return total
