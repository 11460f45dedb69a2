"""O((n + m) log n): Kahn's algorithm that always takes the smallest ready vertex from a heap."""

from heapq import heapify, heappop, heappush


def smallest_topological_order(n, edges):
    succ = [[] for _ in range(n)]
    indeg = [0] * n
    for u, v in edges:
        succ[u].append(v)
        indeg[v] += 1
    ready = [v for v in range(n) if not indeg[v]]
    heapify(ready)
    order = []
    push = order.append
    while ready:
        u = heappop(ready)
        push(u)
        for v in succ[u]:
            indeg[v] -= 1
            if not indeg[v]:
                heappush(ready, v)
    return order if len(order) == n else []
