"""O(n^2 + m): Dijkstra that finds the next vertex by scanning all distances."""


def shortest_distances(n, edges, source):
    adj = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
    inf = float("inf")
    dist = [inf] * n
    done = [False] * n
    dist[source] = 0
    for _ in range(n):
        u = -1
        best = inf
        for v in range(n):
            if not done[v] and dist[v] < best:
                best = dist[v]
                u = v
        if u == -1:
            break
        done[u] = True
        for v, w in adj[u]:
            if best + w < dist[v]:
                dist[v] = best + w
    return [-1 if d == inf else d for d in dist]
