"""O((n + m) log n): Dijkstra with a binary heap of packed integer keys and lazy deletion."""

from heapq import heappop, heappush


def shortest_distances(n, edges, source):
    adj = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
    inf = float("inf")
    dist = [inf] * n
    dist[source] = 0
    # key = distance * n + vertex: one int compares faster than a tuple
    heap = [source]
    while heap:
        d, u = divmod(heappop(heap), n)
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                heappush(heap, nd * n + v)
    return [-1 if d == inf else d for d in dist]
